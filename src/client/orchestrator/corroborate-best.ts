import type { Plan } from "../../kernel/plan/index.js";
import { SignalStatus } from "../../gen/openpassmarket/v1/signal_pb.js";
import type { SearchResult } from "./run-search.js";

/** A result an adapter reported that the participant's own toolchain measured otherwise. */
export interface Unreproduced {
  jobId: string;
  /** The signal that claims it ("" where unknown). */
  signalId: string;
  adapter: string;
  plan: Plan;
  /** What the adapter's signal claims. */
  claimed: number;
  /** What the participant's toolchain measured for the same plan and input. */
  measured: number;
  /** SHA-256 hex of the output the participant's toolchain produced. */
  outputDigest: string;
  /**
   * The spot check the registry queued (or already had) for the job once this was reported
   * to it (`reportUnreproduced`); "" before, or when the report failed.
   */
  checkJobId: string;
}

/** What the participant's own toolchain measured re-running a plan. */
export interface Reproduction {
  value: number;
  outputDigest: string;
}

/** The corroborated best, and the evidence against adapters met on the way. */
export interface Corroboration {
  /** Index in `result.history` of the best result the participant reproduced; undefined when none did. */
  index?: number;
  unreproduced: Unreproduced[];
}

/**
 * Finds the best corroborated result: the search's successful, not refused evaluations
 * from the smallest up, the first whose plan `measure` (the participant's own toolchain,
 * on the problem's own input) reproduces exactly. A signal is an adapter's word; a result
 * reported to anyone must be more than that. Each result that does not reproduce is
 * evidence against the adapter that reported it (`reportUnreproduced` hands it to the
 * registry), and the next-best one is tried, at most `maxTries` in all.
 */
export async function corroborateBest(result: SearchResult, measure: (plan: Plan, index: number) => Promise<Reproduction>, maxTries = 8): Promise<Corroboration> {
  const ranked = result.history
    .map((e, index) => ({ e, index, job: result.jobs[index] }))
    .filter((c) => c.e.value !== undefined && c.job?.status !== SignalStatus.REFUSED)
    .sort((a, b) => a.e.value! - b.e.value! || a.index - b.index);
  const unreproduced: Unreproduced[] = [];
  for (const c of ranked.slice(0, maxTries)) {
    const measured = await measure(c.e.plan, c.index);
    if (measured.value === c.e.value) return { index: c.index, unreproduced };
    unreproduced.push({
      jobId: c.job?.jobId ?? "", signalId: c.job?.signalId ?? "", adapter: c.job?.adapter ?? "", plan: c.e.plan,
      claimed: c.e.value!, measured: measured.value, outputDigest: measured.outputDigest, checkJobId: "",
    });
  }
  return { unreproduced };
}

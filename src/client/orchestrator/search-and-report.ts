import type { Measurement, ProblemInput, Toolchain } from "../../adapters/framework/toolchain.js";
import type { Campaign } from "../../gen/openpassmarket/v1/campaign_pb.js";
import { CampaignService } from "../../gen/openpassmarket/v1/campaign_service_pb.js";
import { JobService } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { RegistryService } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import type { Logger } from "../../kernel/logger/index.js";
import type { CompilerKind, Objective, Plan } from "../../kernel/plan/index.js";
import type { RpcClient } from "../../kernel/wire/index.js";
import { recordedBatchesOf } from "./campaign-session.js";
import { corroborateBest } from "./corroborate-best.js";
import type { OptimizeResult } from "./optimize.js";
import { releaseBest } from "./release-best.js";
import { reportUnreproduced } from "./report-unreproduced.js";
import { METRIC_UNITS, percentChange, tallyFailures } from "./result-summary.js";
import { runSearch } from "./run-search.js";
import type { Evaluation, Strategy } from "./strategy.js";

/** Everything a search needs once its problem is posed (or read back) and its campaign started (or resumed). */
export interface SearchSession {
  registry: RpcClient<(typeof RegistryService)["method"]>;
  jobs: RpcClient<(typeof JobService)["method"]>;
  campaigns: RpcClient<(typeof CampaignService)["method"]>;
  /** As the registry returned it: resumed campaigns carry their recorded batches. */
  campaign: Campaign;
  toolchain: Toolchain;
  /** The problem's input with the participant's runs: what corroboration re-measures. */
  input: ProblemInput;
  /** The compiler's default measured here. */
  baseline: Measurement;
  /** The compiler's default plan (`SearchSpace.prefix`). */
  defaultPlan: Plan;
  strategy: Strategy;
  file: string;
  compiler: CompilerKind;
  compilerVersion: string;
  objective: Objective;
  inputDigest: string;
  visibility: "private" | "public";
  graceMs?: number;
  stop?: AbortSignal;
  /** Aborted when nothing can run jobs any more. */
  stopped?: AbortSignal;
  parallelism: number;
  onProgress?: (done: number, total: number, best: Evaluation | undefined) => void;
  log: Logger;
  started: number;
}

/**
 * Runs (or goes on with) a campaign's search, then reports only a corroborated result: re-runs
 * the best plans locally and keeps the best that reproduces exactly; each that does not is
 * reported to the registry as evidence against its adapter. A campaign whose budget is spent
 * or whose strategy is done is finished at the registry; one stopped (Ctrl-C) stays active,
 * so its holder can resume it.
 */
export async function searchAndReport(s: SearchSession): Promise<OptimizeResult> {
  const c = s.campaign;
  const maxEvaluations = c.budget?.maxEvaluations ?? 0, timeLimitMs = Number(c.budget?.timeLimitMs ?? 0n);
  const result = await runSearch({
    jobs: s.jobs, problemId: c.problemId, strategy: s.strategy, maxEvaluations, timeLimitMs, elapsedMs: Number(c.elapsedMs),
    batchSize: c.batchSize, campaignId: c.id, recorded: recordedBatchesOf(c),
    onProgress: (done, best) => s.onProgress?.(done, maxEvaluations, best),
    ...(s.graceMs !== undefined ? { graceMs: s.graceMs } : {}),
    ...(s.stop ? { stop: s.stop } : {}), ...(s.stopped ? { signal: s.stopped } : {}),
  });
  if (result.stopReason !== "interrupted") {
    await s.campaigns.finishCampaign({ campaignId: c.id, reason: result.stopReason, elapsedMs: BigInt(result.elapsedMs) });
  }
  if (result.history.length > 0 && result.best?.value === undefined) {
    const why = result.failures[0];
    throw new OpmError("compiler_failed", `no evaluation succeeded${why ? `: ${why.code}: ${why.message}` : ""} (campaign ${c.id})`);
  }
  // Only a corroborated result is reported: the best one this toolchain reproduces here.
  const measurements = new Map<number, Measurement>();
  const corroborated = await corroborateBest(result, async (plan, index) => {
    const m = await s.toolchain.evaluate(s.input, plan, s.objective);
    measurements.set(index, m);
    return m;
  });
  for (const u of corroborated.unreproduced) {
    s.log.warn("a reported result did not reproduce locally", { job: u.jobId, adapter: u.adapter, claimed: u.claimed, measured: u.measured });
  }
  // A claim that did not reproduce is evidence: the registry re-runs its job on another adapter.
  const unreproduced = await reportUnreproduced(s.jobs, corroborated.unreproduced, s.log);
  const bestIndex = corroborated.index;
  const bestPlan = bestIndex === undefined ? s.defaultPlan : result.history[bestIndex]!.plan;
  const check = bestIndex === undefined ? s.baseline : measurements.get(bestIndex)!;
  const baseline = s.baseline.value, best = check.value;
  const bestJob = bestIndex === undefined ? undefined : result.jobs[bestIndex];
  const failures = tallyFailures(result.failures);
  // A private problem's exact result stays here; others see only its release, charged to the budget.
  const release = s.visibility === "private" && bestJob !== undefined && bestJob.signalId !== ""
    ? await releaseBest(s.registry, c.problemId, bestJob.signalId, s.log) : undefined;
  return {
    file: s.file, compiler: s.compiler, compilerVersion: s.compilerVersion,
    objective: s.objective, unit: METRIC_UNITS[s.objective],
    strategy: c.strategy, seed: c.seed, problemId: c.problemId,
    baseline, baselinePlan: s.toolchain.renderPlan(s.defaultPlan), best,
    change: percentChange(baseline, best), sizeRatio: baseline / best,
    pipeline: s.toolchain.renderPlan(bestPlan), plan: bestPlan,
    ...(s.toolchain.planArguments ? { flags: s.toolchain.planArguments(bestPlan) } : {}),
    reproduction: check.reproduction, inputDigest: s.inputDigest,
    bestJobId: bestJob?.jobId ?? "", bestSignalId: bestJob?.signalId ?? "",
    evaluations: result.history.length, failedEvaluations: result.failures.length,
    failuresByReason: failures.byReason, firstFailureMessages: failures.firstMessages,
    unreproduced, ...(release === undefined ? {} : { release }),
    campaignId: c.id, stopReason: result.stopReason, resumedEvaluations: result.replayed, unsettledJobs: result.unsettled, cancelledJobs: result.cancelled,
    searchSeconds: result.elapsedMs / 1000,
    seconds: (performance.now() - s.started) / 1000,
  };
}

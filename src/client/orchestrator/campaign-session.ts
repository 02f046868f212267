import type { Campaign } from "../../gen/openpassmarket/v1/campaign_pb.js";
import { planFromProto } from "../../kernel/plan/index.js";
import type { RecordedBatch } from "./run-search.js";
import type { SignalSource } from "./signal-source.js";
import type { Strategy } from "./strategy.js";

/** How many evaluations a strategy is prepared for when its campaign is bounded by time alone. */
export const TIME_ONLY_STRATEGY_BUDGET = 1000;

/** A campaign's recorded batches as the search re-drives them (plans as the kernel spells them). */
export function recordedBatchesOf(campaign: Campaign): RecordedBatch[] {
  return campaign.batches.map((b) => ({
    sequence: b.sequence,
    jobIds: [...b.jobIds],
    plans: b.plans.map((p) => planFromProto(p.steps)),
  }));
}

/**
 * The version of the plan set `strategy` was prepared with, "" when it uses none. A
 * strategy built on a plan set says so with a `planSetVersion` property, so a campaign can
 * refuse to resume on another set (its plans would differ).
 */
export function planSetVersionOf(strategy: Strategy): string {
  const v = (strategy as { planSetVersion?: unknown }).planSetVersion;
  return typeof v === "string" ? v : "";
}

/** The evaluation budget a campaign's strategy is prepared with: its count, or `TIME_ONLY_STRATEGY_BUDGET` for a budget in time alone. */
export function strategyBudgetOf(maxEvaluations: number): number {
  return maxEvaluations > 0 ? maxEvaluations : TIME_ONLY_STRATEGY_BUDGET;
}

/**
 * The signal source a resumed campaign's strategy reads: `source`, with the plan set pinned
 * to the version the campaign recorded — that version asked of the source, or none at all
 * when the campaign used none (not one built from signals that arrived since) — so the
 * strategy ranks the same plans again.
 */
export function pinPlanSet(source: SignalSource, version: string): SignalSource {
  return {
    list: (query) => source.list(query),
    pinnedPlanSet: version,
    ...(source.marketCursor === undefined ? {} : { marketCursor: () => source.marketCursor!() }),
    ...(source.newestPlanSet === undefined ? {} : { newestPlanSet: (query) => source.newestPlanSet!({ ...query, version }) }),
  };
}

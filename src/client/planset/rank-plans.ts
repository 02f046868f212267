import type { PlanSet } from "../../gen/openpassmarket/v1/planset_pb.js";
import { planFromProto, type Plan } from "../../kernel/plan/index.js";
import { cosine } from "../orchestrator/market-first.js";
import { fitPlanScoreModel } from "./plan-score-model.js";

/** How a new problem orders a plan set's plans. */
export type PlanRanking =
  /** Selection order: the plan that covers most first, whatever the problem (unweighted). */
  | "selection"
  /** By the scores on the problems most similar to the new one (cosine of features, as market-first). */
  | "nearest"
  /** By the scores a small model learned from the set's problems predicts (`fitPlanScoreModel`: kernel ridge on the features). */
  | "model";

/** The ranking `transfer` and the ensemble use unless told otherwise (measured against "model": bench/RESULTS.md, Transfer and search). */
export const DEFAULT_RANKING: PlanRanking = "nearest";

/** Default number of neighbours `rankPlans` weighs. */
export const DEFAULT_NEIGHBOURS = 5;

/**
 * The plans of `set` in the order a new problem with `features` should try them. With
 * "nearest": each plan's score is the similarity-weighted mean of its normalised scores on
 * the `neighbours` problems of the set most similar to the new one (ties by problem id);
 * plans are ordered by that score, then by selection order. Falls back to selection order
 * when no problem of the set is similar at all (similarity 0) or the features are empty.
 * With "model": by `fitPlanScoreModel`'s predicted scores, then selection order; selection
 * order when the features are empty or the set has too little to learn from.
 */
export function rankPlans(set: PlanSet, features: Readonly<Record<string, number>>, ranking: PlanRanking = DEFAULT_RANKING, neighbours = DEFAULT_NEIGHBOURS): Plan[] {
  const plans = set.plans.map((p) => planFromProto(p.steps));
  if (ranking === "selection") return plans;
  if (ranking === "model") {
    const model = Object.keys(features).length === 0 ? undefined : fitPlanScoreModel(set);
    if (model === undefined) return plans;
    const predicted = model.predict(features);
    return plans.map((plan, i) => ({ plan, i })).sort((a, b) => predicted[b.i]! - predicted[a.i]! || a.i - b.i).map((x) => x.plan);
  }
  const near = set.problems
    .map((p) => ({ p, similarity: cosine(features, Object.fromEntries(p.features.map((f) => [f.name, f.value]))) }))
    .filter((x) => x.similarity > 0)
    .sort((a, b) => b.similarity - a.similarity || (a.p.problemId < b.p.problemId ? -1 : a.p.problemId > b.p.problemId ? 1 : 0))
    .slice(0, neighbours);
  if (near.length === 0) return plans;
  const score = plans.map((_, i) => near.reduce((sum, x) => sum + x.similarity * (x.p.scores[i] ?? 0), 0));
  return plans.map((plan, i) => ({ plan, i })).sort((a, b) => score[b.i]! - score[a.i]! || a.i - b.i).map((x) => x.plan);
}

import type { PlanSet } from "../../gen/openpassmarket/v1/planset_pb.js";
import { planKey, planStepFromProto, type Plan, type SearchSpace } from "../../kernel/plan/index.js";
import { planSetVersion, rankPlans } from "../planset/index.js";
import { cosine } from "./market-first.js";
import type { MoveHint } from "./move-stats.js";
import type { StrategyContext } from "./strategy.js";
import { loadPlanSet, withinSpace } from "./transfer.js";

/** What a search may take from the market before its first plan. */
export interface MarketKnowledge {
  /** The plan set's plans, ranked for this problem (nearest problems' best first), all within the space. */
  plans: Plan[];
  /** Moves of the plan set's plans that improved similar problems (at most 32), most telling first. */
  hints: MoveHint[];
  /** The version of the plan set `plans` come from ("" for none): a campaign records it, a resume asks for it again. */
  planSetVersion: string;
}

/**
 * The plan set `transfer` would use (`loadPlanSet`: the registry's newest, signature
 * checked, or one built from the signals the caller may see — public problems' accepted
 * signals, releases — or the version a resumed campaign recorded), ranked for this
 * problem, and the move hints it gives. Everything comes from the plan set, so a search is
 * a function of its seed, its history and the set's version: a resume with the same
 * version proposes the same plans whatever the market measured since.
 */
export async function readMarketKnowledge(context: StrategyContext): Promise<MarketKnowledge> {
  const { problem, space } = context;
  const set = await loadPlanSet(context);
  if (set === undefined) return { plans: [], hints: [], planSetVersion: "" };
  const plans = rankPlans(set, problem.features, "nearest").filter((p) => withinSpace(p, space));
  return { plans, hints: moveHints(set, problem.features, space), planSetVersion: planSetVersion(set) };
}

/**
 * Each move of the space weighted by how much the plan set's plans containing it did for
 * problems like this one: the sum, over the set's problems, of the plan's score there (its
 * share of the best known improvement) times the problems' similarity (cosine of
 * features, ≥ 0); the heaviest gets weight 4 (proposed five times as often as an untried
 * move). Deterministic: ties by key.
 */
export function moveHints(set: PlanSet, features: Readonly<Record<string, number>>, space: SearchSpace): MoveHint[] {
  const moves = new Map(space.moves.map((m) => [planKey({ steps: [m] }), m]));
  const acc = new Map<string, { mass: number; problemIds: Set<string> }>();
  const similarity = set.problems.map((q) => Math.max(0, cosine(features, Object.fromEntries(q.features.map((f) => [f.name, f.value])))));
  set.plans.forEach((plan, i) => {
    const keys = new Set(plan.steps.map((step) => planKey({ steps: [planStepFromProto(step)] })));
    set.problems.forEach((q, j) => {
      const mass = (q.scores[i] ?? 0) * similarity[j]!;
      if (mass <= 0) return;
      for (const key of keys) {
        if (!moves.has(key)) continue;
        const a = acc.get(key) ?? { mass: 0, problemIds: new Set<string>() };
        a.mass += mass;
        a.problemIds.add(q.problemId);
        acc.set(key, a);
      }
    });
  });
  const top = Math.max(0, ...[...acc.values()].map((a) => a.mass));
  return [...acc.entries()]
    .sort(([ka, a], [kb, b]) => b.mass - a.mass || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, 32)
    .map(([key, a]) => ({ step: moves.get(key)!, weight: top === 0 ? 0 : (4 * a.mass) / top, problemIds: [...a.problemIds].sort() }));
}

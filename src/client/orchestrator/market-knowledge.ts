import type { PlanSet } from "../../gen/openpassmarket/v1/planset_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import { planKey, type Plan, type SearchSpace } from "../../kernel/plan/index.js";
import { buildPlanSet, rankPlans } from "../planset/index.js";
import { cosine } from "./market-first.js";
import type { MoveHint } from "./move-stats.js";
import type { MarketSignal } from "./signal-source.js";
import type { StrategyContext } from "./strategy.js";

/** What a search may take from the market before its first plan. */
export interface MarketKnowledge {
  /** The plan set's plans, ranked for this problem (nearest problems' best first), all within the space. */
  plans: Plan[];
  /** Moves found in improving plans of similar problems (at most 32), most telling first. */
  hints: MoveHint[];
}

/**
 * Reads the market's verified signals for the problem's compiler and objective (the
 * caller sees only what it may: public problems' accepted signals, releases) and derives
 * the plan set, ranked for this problem as the `transfer` strategy does, and move hints.
 * Empty when the market has nothing for this compiler version.
 */
export async function readMarketKnowledge(context: StrategyContext): Promise<MarketKnowledge> {
  const { problem, space } = context;
  const signals = (await context.signals.list({ compiler: problem.compiler, objective: problem.objective }))
    .filter((s) => s.compilerVersion === problem.compilerVersion);
  if (signals.length === 0) return { plans: [], hints: [] };
  let set: PlanSet | undefined;
  try {
    set = buildPlanSet(signals, { compiler: problem.compiler, objective: problem.objective, compilerVersion: problem.compilerVersion });
  } catch (err) {
    if (!(err instanceof OpmError && err.code === "failed_precondition")) throw err;
  }
  const plans = set === undefined ? [] : rankPlans(set, problem.features, "nearest").filter((p) => withinSpace(p, space));
  return { plans, hints: moveHints(signals, problem.features, space) };
}

/**
 * Each move of the space weighted by the similarity (cosine of features, ≥ 0) of the
 * problems on which a plan containing it improved on the baseline; the heaviest gets
 * weight 4 (proposed five times as often as an untried move). Deterministic: ties by key.
 */
export function moveHints(signals: readonly MarketSignal[], features: Readonly<Record<string, number>>, space: SearchSpace): MoveHint[] {
  const moves = new Map(space.moves.map((m) => [planKey({ steps: [m] }), m]));
  const acc = new Map<string, { mass: number; signalIds: string[] }>();
  for (const s of signals) {
    if (!(s.achieved > 0 && s.achieved < s.baseline)) continue;
    const similarity = Math.max(0, cosine(features, s.features));
    if (similarity === 0) continue;
    for (const key of new Set(s.plan.steps.map((step) => planKey({ steps: [step] })))) {
      if (!moves.has(key)) continue;
      const a = acc.get(key) ?? { mass: 0, signalIds: [] };
      a.mass += similarity;
      a.signalIds.push(s.signalId);
      acc.set(key, a);
    }
  }
  const top = Math.max(0, ...[...acc.values()].map((a) => a.mass));
  return [...acc.entries()]
    .sort(([ka, a], [kb, b]) => b.mass - a.mass || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, 32)
    .map(([key, a]) => ({ step: moves.get(key)!, weight: top === 0 ? 0 : (4 * a.mass) / top, signalIds: [...a.signalIds].sort() }));
}

function withinSpace(plan: Plan, space: SearchSpace): boolean {
  if (plan.steps.length > space.maxSteps) return false;
  const offered = new Set([...space.prefix, ...space.alternatives.flat(), ...space.moves].map((s) => planKey({ steps: [s] })));
  return plan.steps.every((s) => offered.has(planKey({ steps: [s] })));
}

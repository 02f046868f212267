import { planKey, type Plan, type SearchSpace } from "../../kernel/plan/index.js";
import { planSetVersion, rankPlans } from "../planset/index.js";
import { cosine } from "./market-first.js";
import type { MoveHint } from "./move-stats.js";
import type { MarketSignal } from "./signal-source.js";
import type { StrategyContext } from "./strategy.js";
import { loadPlanSet, withinSpace } from "./transfer.js";

/** What a search may take from the market before its first plan. */
export interface MarketKnowledge {
  /** The plan set's plans, ranked for this problem (nearest problems' best first), all within the space. */
  plans: Plan[];
  /** Moves found in improving plans of similar problems (at most 32), most telling first. */
  hints: MoveHint[];
  /** The version of the plan set `plans` come from ("" for none): a campaign records it, a resume asks for it again. */
  planSetVersion: string;
}

/**
 * The plan set `transfer` would use (`loadPlanSet`: the registry's newest, signature
 * checked, or one built from the signals the caller may see — public problems' accepted
 * signals, releases), ranked for this problem, and move hints from the same signals.
 * Empty when the market has nothing for this compiler version.
 */
export async function readMarketKnowledge(context: StrategyContext): Promise<MarketKnowledge> {
  const { problem, space } = context;
  const signals = (await context.signals.list({ compiler: problem.compiler, objective: problem.objective }))
    .filter((s) => s.compilerVersion === problem.compilerVersion);
  const set = await loadPlanSet(context);
  const plans = set === undefined ? [] : rankPlans(set, problem.features, "nearest").filter((p) => withinSpace(p, space));
  return { plans, hints: moveHints(signals, problem.features, space), planSetVersion: set === undefined ? "" : planSetVersion(set) };
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

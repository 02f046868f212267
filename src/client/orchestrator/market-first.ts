import { planKey, type Plan, type SearchSpace } from "../../kernel/plan/index.js";
import { RandomSearch } from "./random-search.js";
import type { MarketSignal } from "./signal-source.js";
import type { Evaluation, Strategy, StrategyContext, StrategyDefinition } from "./strategy.js";

/**
 * `--strategy market-first`: transfer from the market. For each other problem of the same
 * compiler and objective, its best plan that beat its baseline; those of the problems
 * nearest to this one (cosine similarity of the features) are tried first, up to half the
 * budget, then random search goes on. Plans with a step this search space does not offer
 * (another compiler version's catalog) are skipped.
 */
export const marketFirst: StrategyDefinition = {
  name: "market-first",
  summary: "first the best plans of the most similar problems the market measured, then random",
  async prepare(context: StrategyContext): Promise<Strategy> {
    const { problem, space, seed, budget } = context;
    const signals = await context.signals.list({ compiler: problem.compiler, objective: problem.objective });
    const seeded = transferPlans(signals, problem.features, space, Math.ceil(budget.maxEvaluations / 2));
    return new PlansFirst("market-first", seeded, new RandomSearch(space, seed));
  },
};

/** The best improving plan of each other problem, nearest problems first, at most `max`, all within `space`. */
export function transferPlans(signals: readonly MarketSignal[], features: Readonly<Record<string, number>>, space: SearchSpace, max: number): Plan[] {
  const offered = new Set([...space.prefix, ...space.alternatives.flat(), ...space.moves].map((s) => planKey({ steps: [s] })));
  const bestByProblem = new Map<string, MarketSignal>();
  for (const s of signals) {
    if (!(s.achieved > 0 && s.achieved < s.baseline) || s.plan.steps.length > space.maxSteps) continue;
    if (!s.plan.steps.every((step) => offered.has(planKey({ steps: [step] })))) continue;
    const held = bestByProblem.get(s.problemId);
    if (held === undefined || s.baseline / s.achieved > held.baseline / held.achieved) bestByProblem.set(s.problemId, s);
  }
  const ranked = [...bestByProblem.values()]
    .map((s) => ({ plan: s.plan, similarity: cosine(features, s.features), gain: s.baseline / s.achieved, id: s.signalId }))
    .sort((a, b) => b.similarity - a.similarity || b.gain - a.gain || (a.id < b.id ? -1 : 1));
  const seen = new Set([planKey({ steps: space.prefix })]);
  const out: Plan[] = [];
  for (const r of ranked) {
    const key = planKey(r.plan);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r.plan);
    if (out.length >= max) break;
  }
  return out;
}

/** Cosine similarity of two feature vectors (missing features count as 0); 0 when either is all zeros. */
export function cosine(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): number {
  let dot = 0, na = 0, nb = 0;
  for (const [k, v] of Object.entries(a)) { na += v * v; dot += v * (b[k] ?? 0); }
  for (const v of Object.values(b)) nb += v * v;
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Proposes `plans` first (the inner strategy's first plan — the compiler's default — before them), then whatever `inner` proposes. */
class PlansFirst implements Strategy {
  private started = false;
  private readonly queue: Plan[];

  constructor(readonly name: string, plans: readonly Plan[], private readonly inner: Strategy) {
    this.queue = [...plans];
  }

  next(history: readonly Evaluation[], max: number): Plan[] {
    if (!this.started) {
      this.started = true;
      // The default goes first, so the result is never worse than it.
      return [...this.inner.next(history, 1), ...this.queue.splice(0, Math.max(0, max - 1))];
    }
    if (this.queue.length > 0) return this.queue.splice(0, max);
    const tried = new Set(history.map((e) => planKey(e.plan)));
    return this.inner.next(history, max).filter((p) => !tried.has(planKey(p)));
  }
}

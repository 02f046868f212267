import { planKey, type Plan } from "../../kernel/plan/index.js";
import { AucBandit, type AucBanditOptions } from "./auc-bandit.js";
import { GreedySearch } from "./greedy-search.js";
import { LocalSearch, type Proposal, type Taken } from "./local-search.js";
import { readMarketKnowledge, type MarketKnowledge } from "./market-knowledge.js";
import { RandomSearch } from "./random-search.js";
import type { Evaluation, SearchSpace, Strategy, StrategyDefinition } from "./strategy.js";

/** One search technique of the ensemble: a strategy that may also be told which plans others took in this batch. */
export interface Technique {
  readonly name: string;
  next(history: readonly Evaluation[], max: number, taken: Taken): Plan[];
}

/** The plans of a list, in order, then nothing: the market's plan set as a technique. */
export class PlanList implements Technique {
  private readonly queue: Plan[];

  constructor(readonly name: string, plans: readonly Plan[]) {
    this.queue = [...plans];
  }

  next(_history: readonly Evaluation[], max: number, taken: Taken): Plan[] {
    const out: Plan[] = [];
    while (out.length < max && this.queue.length > 0) {
      const plan = this.queue.shift()!;
      if (!taken(planKey(plan))) out.push(plan);
    }
    return out;
  }
}

/** Who proposed a plan: a technique, or "start" for the compiler's default levels. */
export interface Attribution {
  technique: string;
  /** The local search's deltas and their evidence, when it proposed the plan. */
  proposal?: Proposal;
}

/**
 * An ensemble of search techniques with OpenTuner's AUC bandit choosing which one
 * proposes each next plan (`AucBandit`): `random`, `greedy`, `local` (`LocalSearch`) and,
 * when the market has a plan set for this compiler version, `transfer` (its plans, ranked
 * for the problem). Every technique sees the whole history, so local search climbs from
 * whatever any technique found. A technique is credited when a plan it proposed is
 * smaller than everything evaluated before it, in history order.
 *
 * Deterministic given the seed, the market's signals and the sequence of histories it is
 * called with: attribution is kept per plan when proposed and credit recomputed from the
 * history in order, so re-driving `next` over a recorded run proposes the same plans.
 * The first plans are the compiler's default and its alternative levels (alone in the first
 * batch when there are alternatives); random and greedy then build on the better level.
 */
export class EnsembleSearch implements Strategy {
  readonly name = "ensemble";
  readonly bandit: AucBandit;
  private readonly techniques: Technique[];
  private readonly proposer = new Map<string, string>();
  private readonly evaluated = new Set<string>();
  private readonly local: LocalSearch;
  private processed = 0;
  private best = Infinity;
  private started = false;
  /** The version of the market's plan set this search was built on ("" for none): a campaign records it. */
  readonly planSetVersion: string;

  constructor(private readonly space: SearchSpace, seed: number, market: MarketKnowledge = { plans: [], hints: [], planSetVersion: "" }, bandit: AucBanditOptions = {}) {
    this.planSetVersion = market.planSetVersion;
    this.local = new LocalSearch(space, { seed: (seed ^ 0x2545f491) >>> 0, hints: market.hints });
    // Random and greedy build on the better of the default and its alternative levels (GCC's
    // -Oz is often smaller than -Os), so they are made once the levels are evaluated.
    const onBestLevel = (name: string, make: (space: SearchSpace) => Strategy): Technique => {
      let made: Strategy | undefined;
      return { name, next: (h, m) => (made ??= make(this.bestLevelSpace(h))).next(h, m) };
    };
    this.techniques = [
      ...(market.plans.length > 0 ? [new PlanList("transfer", market.plans)] : []),
      { name: "local", next: (h, m, taken) => this.local.next(h, m, taken) },
      onBestLevel("random", (s) => new RandomSearch(s, (seed ^ 0x9e3779b9) >>> 0)),
      onBestLevel("greedy", (s) => new GreedySearch(s)),
    ];
    this.bandit = new AucBandit(this.techniques.map((t) => t.name), bandit);
  }

  /** Who proposed `plan` and, for local search, the delta and its evidence. */
  attributionOf(plan: Plan): Attribution | undefined {
    const technique = this.proposer.get(planKey(plan));
    if (technique === undefined) return undefined;
    return technique === "local" ? { technique, proposal: this.local.proposalOf(plan) } : { technique };
  }

  next(history: readonly Evaluation[], max: number): Plan[] {
    this.credit(history);
    const out: Plan[] = [];
    const taken: Taken = (key) => this.proposer.has(key) || this.evaluated.has(key);
    const take = (plan: Plan, technique: string): boolean => {
      const key = planKey(plan);
      if (taken(key)) return false;
      this.proposer.set(key, technique);
      out.push(plan);
      return true;
    };
    if (!this.started) {
      this.started = true;
      for (const steps of [this.space.prefix, ...this.space.alternatives]) if (out.length < max) take({ steps: [...steps] }, "start");
      // With alternative levels, the first batch is the levels alone: every technique then starts from the better one.
      if (this.space.alternatives.length > 0) return out;
    }
    // Proposed and not evaluated yet, per technique: the bandit spreads a batch with them.
    const pending = new Map<string, number>();
    for (const [key, technique] of this.proposer) if (!this.evaluated.has(key) && technique !== "start") pending.set(technique, (pending.get(technique) ?? 0) + 1);
    const exclude = new Set<string>();
    while (out.length < max) {
      const arm = this.bandit.choose(pending, exclude);
      if (arm === undefined) break;
      const technique = this.techniques.find((t) => t.name === arm)!;
      // A technique may offer a plan another one took; it gets a few tries before it sits this batch out.
      let got = false;
      for (let tries = 0; !got && tries < 3; tries++) {
        const plans = technique.next(history, 1, taken);
        if (plans.length === 0) break;
        got = plans.some((p) => take(p, arm));
      }
      if (got) pending.set(arm, (pending.get(arm) ?? 0) + 1);
      else exclude.add(arm);
    }
    return out;
  }

  /** The space with the best evaluated level (the default first among equals) as its prefix and no alternatives. */
  private bestLevelSpace(history: readonly Evaluation[]): SearchSpace {
    const levels = [this.space.prefix, ...this.space.alternatives];
    const valueOf = new Map(history.map((e) => [planKey(e.plan), e.value]));
    let best = this.space.prefix;
    let bestValue = valueOf.get(planKey({ steps: best })) ?? Infinity;
    for (const level of levels.slice(1)) {
      const v = valueOf.get(planKey({ steps: level }));
      if (v !== undefined && v < bestValue) [best, bestValue] = [level, v];
    }
    return { ...this.space, prefix: [...best], alternatives: [] };
  }

  /** Credits each newly evaluated plan's technique: success when it is smaller than everything evaluated before it. */
  private credit(history: readonly Evaluation[]): void {
    for (; this.processed < history.length; this.processed++) {
      const e = history[this.processed]!;
      const key = planKey(e.plan);
      if (this.evaluated.has(key)) continue;
      this.evaluated.add(key);
      const improved = e.value !== undefined && e.value < this.best;
      const technique = this.proposer.get(key);
      // The first value is the baseline: nothing to improve on yet, so no credit for it.
      if (technique !== undefined && technique !== "start") this.bandit.record(technique, improved && this.best !== Infinity);
      if (e.value !== undefined) this.best = Math.min(this.best, e.value);
    }
  }
}

/** `--strategy ensemble`. */
export const ensembleSearch: StrategyDefinition = {
  name: "ensemble",
  summary: "an AUC bandit picks which technique proposes next: local search, random, greedy and the market's plan set",
  async prepare(context) {
    return new EnsembleSearch(context.space, context.seed, await readMarketKnowledge(context));
  },
};

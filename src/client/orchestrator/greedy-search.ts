import type { Plan, PlanStep } from "../../kernel/plan/index.js";
import { planKey, type Evaluation, type SearchSpace, type Strategy, type StrategyDefinition } from "./strategy.js";

/**
 * Greedy search, as CompilerGym's greedy baseline: start from the prefix; each round
 * tries the current plan extended by every remaining move and keeps the best extension
 * if it improves. It learns which moves matter: a move whose extension left the metric
 * unchanged (or failed) is dropped from later rounds, so rounds get cheaper — what makes
 * greedy usable on GCC, where most flags do nothing at a given -O level. Done when a
 * round improves nothing or the plan is at `maxSteps`.
 */
export class GreedySearch implements Strategy {
  readonly name = "greedy";
  private current: Plan;
  private currentValue: number | undefined;
  private moves: PlanStep[];
  private round: Array<{ move: PlanStep; plan: Plan }> = [];
  private queued = 0;
  private started = false;
  private done = false;

  constructor(private readonly space: SearchSpace) {
    this.current = { steps: [...space.prefix] };
    this.moves = [...space.moves];
  }

  next(history: readonly Evaluation[], max: number): Plan[] {
    if (this.done) return [];
    if (!this.started) {
      this.started = true;
      return [this.current];
    }
    const valueOf = new Map(history.map((e) => [planKey(e.plan), e.value]));
    if (this.currentValue === undefined) this.currentValue = valueOf.get(planKey(this.current));
    if (this.round.length === 0) this.startRound();
    if (this.queued < this.round.length) {
      const batch = this.round.slice(this.queued, this.queued + max).map((c) => c.plan);
      this.queued += batch.length;
      return batch;
    }
    if (!this.round.every((c) => valueOf.has(planKey(c.plan)))) return []; // caller evaluates what was proposed first
    this.finishRound(valueOf);
    return this.next(history, max);
  }

  private startRound(): void {
    if (this.current.steps.length >= this.space.maxSteps || this.moves.length === 0) {
      this.done = true;
      return;
    }
    this.round = this.moves.map((move) => ({ move, plan: { steps: [...this.current.steps, move] } }));
    this.queued = 0;
  }

  private finishRound(valueOf: Map<string, number | undefined>): void {
    let best: { move: PlanStep; plan: Plan; value: number } | undefined;
    const useful: PlanStep[] = [];
    for (const c of this.round) {
      const value = valueOf.get(planKey(c.plan));
      if (value === undefined || value === this.currentValue) continue; // no effect here: drop it
      useful.push(c.move);
      if (best === undefined || value < best.value) best = { ...c, value };
    }
    this.round = [];
    if (best === undefined || this.currentValue === undefined || best.value >= this.currentValue) {
      this.done = true;
      return;
    }
    this.current = best.plan;
    this.currentValue = best.value;
    this.moves = useful;
    this.startRound();
  }
}

/** `--strategy greedy`. */
export const greedySearch: StrategyDefinition = {
  name: "greedy",
  summary: "extend the best plan by the move that helps most, round after round; drops moves that change nothing",
  prepare: async ({ space }) => new GreedySearch(space),
};

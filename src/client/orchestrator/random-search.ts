import type { Plan } from "../../kernel/plan/index.js";
import { planKey, type Evaluation, type SearchSpace, type Strategy, type StrategyDefinition } from "./strategy.js";
import { seededRandom } from "../../kernel/plan/index.js";

/**
 * Random search: the prefix alone first (the compiler's own default, so the result is
 * never worse than it), then the prefix followed by 1..maxSteps−len(prefix) moves drawn
 * uniformly with a seeded generator. Plans already proposed are not proposed again.
 */
export class RandomSearch implements Strategy {
  readonly name = "random";
  private readonly random: () => number;
  private readonly proposed = new Set<string>();

  constructor(private readonly space: SearchSpace, seed: number) {
    this.random = seededRandom(seed);
  }

  next(_history: readonly Evaluation[], max: number): Plan[] {
    const out: Plan[] = [];
    const room = Math.max(1, this.space.maxSteps - this.space.prefix.length);
    let tries = 0;
    while (out.length < max && tries++ < max * 20) {
      const plan: Plan = { steps: [...this.space.prefix] };
      if (this.proposed.size > 0 && this.space.moves.length > 0) {
        const length = 1 + Math.floor(this.random() * room);
        for (let i = 0; i < length; i++) plan.steps.push(this.space.moves[Math.floor(this.random() * this.space.moves.length)]!);
      }
      const key = planKey(plan);
      if (this.proposed.has(key)) continue;
      this.proposed.add(key);
      out.push(plan);
    }
    return out;
  }
}

/** `--strategy random`. */
export const randomSearch: StrategyDefinition = {
  name: "random",
  summary: "the compiler's default, then random plans of 1..max-steps moves (seeded)",
  prepare: async ({ space, seed }) => new RandomSearch(space, seed),
};

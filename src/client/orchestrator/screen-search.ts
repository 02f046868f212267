import type { Plan, PlanStep } from "../../kernel/plan/index.js";
import { seededRandom } from "../../kernel/plan/index.js";
import { bestOf, planKey, type Evaluation, type SearchSpace, type Strategy, type StrategyDefinition } from "./strategy.js";

export interface ScreenSearchOptions {
  seed: number;
  /** The evaluation budget the run will stop at; screening leaves part of it for combining. */
  budget: number;
}

type Phase = "levels" | "screen" | "combine" | "mix" | "done";

/** Moves screened together: they stay together while they help. */
type Unit = readonly PlanStep[];

/**
 * Screen-then-combine, for flag spaces where options interact and most of them do
 * nothing at a given level (GCC at -Os). Four phases:
 * 1. **levels** — the prefix and each of `space.alternatives`; the smaller is the base.
 * 2. **screen** — base + a group of moves, for consecutive groups covering the space
 *    within the budget minus a reserve (min(30, 35 %)): groups of
 *    ⌈moves / room⌉ moves, at most 8 (one move each when the budget allows). A group
 *    whose flips change nothing (or fail) is dropped for good — group testing: most
 *    flags do nothing, so one evaluation rules out several.
 * 3. **combine** — the improving groups sorted by effect, added cumulatively
 *    (base + best 1, + best 2, …, up to `maxSteps`), all in one parallel batch.
 * 4. **mix** — local search around the best plan so far: drop one of its moves, add an
 *    improving or size-changing group or a single move of one, or swap, until the
 *    budget ends; when no new neighbour is left, the next unscreened moves are screened.
 * Deterministic given the seed and the history (replayable).
 */
export class ScreenSearch implements Strategy {
  readonly name = "screen";
  private readonly random: () => number;
  private readonly proposed = new Set<string>();
  private phase: Phase = "levels";
  private queue: Plan[] = [];
  private base: Plan;
  private baseValue: number | undefined;
  private units: Unit[] = [];
  private screenedMoves = 0;
  /** Groups that made the base smaller, smallest result first; groups that changed it otherwise. */
  private improving: Unit[] = [];
  private changing: Unit[] = [];

  constructor(private readonly space: SearchSpace, private readonly options: ScreenSearchOptions) {
    this.random = seededRandom(options.seed);
    this.base = { steps: [...space.prefix] };
    this.enqueue([this.base, ...space.alternatives.map((steps) => ({ steps: [...steps] }))]);
  }

  next(history: readonly Evaluation[], max: number): Plan[] {
    for (let guard = 0; this.queue.length === 0 && this.phase !== "done" && guard < 8; guard++) this.advance(history, max);
    return this.queue.splice(0, max);
  }

  /** What screening learned: moves screened, and the moves of improving and of other size-changing groups. */
  learned(): { screened: number; improving: PlanStep[]; changing: PlanStep[] } {
    return { screened: this.screenedMoves, improving: this.improving.flat(), changing: this.changing.flat() };
  }

  private advance(history: readonly Evaluation[], max: number): void {
    const valueOf = new Map(history.map((e) => [planKey(e.plan), e.value]));
    if (this.phase === "levels") {
      const levels = [this.base, ...this.space.alternatives.map((steps) => ({ steps }))];
      const best = bestOf(levels.map((plan) => ({ plan, value: valueOf.get(planKey(plan)) })));
      if (best === undefined) return void (this.phase = "done");
      this.base = { steps: [...best.plan.steps] };
      this.baseValue = best.value;
      const reserve = Math.min(30, Math.floor(this.options.budget * 0.35));
      const room = Math.max(1, this.options.budget - this.proposed.size - reserve);
      this.screenNext(Math.min(8, Math.max(1, Math.ceil(this.space.moves.length / room))), room);
    } else if (this.phase === "screen") {
      const effect = this.units.map((unit) => ({ unit, value: valueOf.get(planKey(this.extend(this.base, unit))) }));
      const changed = effect.filter((e) => e.value !== undefined && e.value !== this.baseValue);
      this.improving = changed.filter((e) => e.value! < this.baseValue!).sort((a, b) => a.value! - b.value!).map((e) => e.unit);
      this.changing = changed.filter((e) => e.value! > this.baseValue!).map((e) => e.unit);
      this.phase = "combine";
      const room = this.space.maxSteps - this.base.steps.length;
      const cumulative: Plan[] = [];
      for (let k = 2, steps = this.improving[0]?.length ?? 0; k <= this.improving.length; k++) {
        steps += this.improving[k - 1]!.length;
        if (steps > room) break;
        cumulative.push(this.extend(this.base, this.improving.slice(0, k).flat()));
      }
      this.enqueue(cumulative);
    } else if (this.phase === "combine" || this.phase === "mix") {
      this.phase = "mix";
      this.enqueue(this.neighbours(history, max));
      if (this.queue.length > 0) return;
      if (this.screenedMoves < this.space.moves.length) this.screenNext(1, Math.max(2, max));
      else this.phase = "done";
    }
  }

  /** Queues base + each of the next `count` groups of `size` unscreened moves. */
  private screenNext(size: number, count: number): void {
    const fresh: Unit[] = [];
    while (fresh.length < count && this.screenedMoves < this.space.moves.length) {
      fresh.push(this.space.moves.slice(this.screenedMoves, this.screenedMoves + size));
      this.screenedMoves += fresh[fresh.length - 1]!.length;
    }
    this.units.push(...fresh);
    this.phase = "screen";
    this.enqueue(fresh.map((unit) => this.extend(this.base, unit)));
  }

  /** Up to `max` unseen plans one edit away from the best plan so far. */
  private neighbours(history: readonly Evaluation[], max: number): Plan[] {
    const best = bestOf(history)?.plan ?? this.base;
    const moves = best.steps.slice(this.base.steps.length);
    const has = new Set(moves.map((m) => planKey({ steps: [m] })));
    // Pieces to add: whole improving or changing groups, and the single moves of changed groups.
    const groups = [...this.improving, ...this.changing];
    const pieces = [...groups, ...groups.filter((g) => g.length > 1).flatMap((g) => g.map((m) => [m]))]
      .map((p) => p.filter((m) => !has.has(planKey({ steps: [m] }))))
      .filter((p) => p.length > 0);
    const room = this.space.maxSteps - this.base.steps.length;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(this.random() * xs.length)]!;
    const out: Plan[] = [];
    const seen = new Set<string>();
    for (let tries = 0; out.length < max && tries < max * 30; tries++) {
      const edit = this.random();
      let next = [...moves];
      if (edit < 0.3 && next.length > 0) next.splice(Math.floor(this.random() * next.length), 1);
      else if (edit < 0.7 && pieces.length > 0) next.push(...pick(pieces));
      else if (next.length > 0 && pieces.length > 0) next.splice(Math.floor(this.random() * next.length), 1, ...pick(pieces));
      else continue;
      if (next.length > room) next = next.slice(0, room);
      const plan = this.extend(this.base, next);
      const key = planKey(plan);
      if (this.proposed.has(key) || seen.has(key)) continue;
      seen.add(key);
      out.push(plan);
    }
    return out;
  }

  private extend(base: Plan, moves: readonly PlanStep[]): Plan {
    return { steps: [...base.steps, ...moves] };
  }

  private enqueue(plans: Plan[]): void {
    for (const plan of plans) {
      const key = planKey(plan);
      if (this.proposed.has(key)) continue;
      this.proposed.add(key);
      this.queue.push(plan);
    }
  }
}

/** `--strategy screen`. */
export const screenSearch: StrategyDefinition = {
  name: "screen",
  summary: "better level first, group-screens moves, drops those that change nothing, combines the rest (best for GCC)",
  prepare: async ({ space, seed, budget }) => new ScreenSearch(space, { seed, budget: budget.maxEvaluations }),
};

import type { Plan, PlanStep } from "../../adapters/framework/toolchain.js";

/** One evaluated plan: its metric, or undefined when the evaluation failed. */
export interface Evaluation {
  plan: Plan;
  value: number | undefined;
}

/**
 * What a search may do: start from the compiler's own default for the objective
 * (`prefix`, e.g. `default<Oz>` or `-Os`) and add `moves` (passes, flags, settings).
 */
export interface SearchSpace {
  prefix: PlanStep[];
  moves: PlanStep[];
  /** Longest plan a strategy may propose, prefix included. */
  maxSteps: number;
}

/**
 * A search strategy. Strategies are pure and deterministic given their seed and the
 * history, so a recorded run can be replayed (and a new strategy backtested) offline.
 */
export interface Strategy {
  readonly name: string;
  /** The next plans to evaluate, at most `max`; an empty list means the search is done. */
  next(history: readonly Evaluation[], max: number): Plan[];
}

/** A stable key of a plan, for de-duplication. */
export function planKey(plan: Plan): string {
  return plan.steps.map((s) => (s.value === undefined || s.value === "" ? s.pass : `${s.pass}=${s.value}`)).join(" ");
}

/** The lowest-valued successful evaluation (the first one among equals). */
export function bestOf(history: readonly Evaluation[]): Evaluation | undefined {
  let best: Evaluation | undefined;
  for (const e of history) if (e.value !== undefined && (best?.value === undefined || e.value < best.value)) best = e;
  return best;
}

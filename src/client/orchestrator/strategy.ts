import type { CompilerKind, Objective, Plan, SearchSpace } from "../../kernel/plan/index.js";
import type { SignalSource } from "./signal-source.js";

export type { SearchSpace };
export { planKey } from "../../kernel/plan/index.js";

/** One evaluated plan: its metric, or undefined when the evaluation failed. */
export interface Evaluation {
  plan: Plan;
  value: number | undefined;
}

/**
 * A search strategy. Strategies are pure and deterministic given their context (seed
 * included) and the history, so a recorded run can be replayed (and a new strategy
 * backtested) offline.
 */
export interface Strategy {
  readonly name: string;
  /** The next plans to evaluate, at most `max`; an empty list means the search is done. */
  next(history: readonly Evaluation[], max: number): Plan[];
}

/** What a strategy knows before its first plan. */
export interface StrategyContext {
  /** The problem searched: what everyone may know of it (never its IR). */
  problem: {
    compiler: CompilerKind;
    compilerVersion: string;
    objective: Objective;
    /** Privacy-safe features (instruction-kind counts, Autophase-style), by name. */
    features: Readonly<Record<string, number>>;
    /** The compiler's own default's metric (`SearchSpace.prefix` alone). */
    baseline: number;
  };
  space: SearchSpace;
  seed: number;
  budget: { maxEvaluations: number };
  /** What the market measured on other participants' problems (see `SignalSource`). */
  signals: SignalSource;
}

/**
 * A strategy by name, as `--strategy NAME` selects it: one file exporting one of these,
 * listed once in `strategies.ts`.
 */
export interface StrategyDefinition {
  readonly name: string;
  /** One line for `opm optimize --help`. */
  readonly summary: string;
  /** The strategy for one search; may read the signal source first. */
  prepare(context: StrategyContext): Promise<Strategy>;
}

/** The lowest-valued successful evaluation (the first one among equals). */
export function bestOf(history: readonly Evaluation[]): Evaluation | undefined {
  let best: Evaluation | undefined;
  for (const e of history) if (e.value !== undefined && (best?.value === undefined || e.value < best.value)) best = e;
  return best;
}

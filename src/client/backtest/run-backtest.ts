import { planKey, type Plan } from "../../kernel/plan/index.js";
import { bestOf, type Evaluation, type Strategy } from "../orchestrator/strategy.js";
import type { RecordedEvaluation } from "./recorded-log.js";

/** How a backtest answers the plans a strategy asks for. */
export interface BacktestRun {
  strategy: Strategy;
  /** Recorded evaluations of the problem, by `planKey`. */
  recorded: ReadonlyMap<string, RecordedEvaluation>;
  /** Plans the strategy may propose in all (its evaluation budget). */
  maxEvaluations: number;
  /** Plans asked of the strategy at once, as a search batches them. */
  batchSize: number;
  /**
   * Evaluates a plan the log never measured (`--evaluate`: the local toolchain); without
   * it such a plan is a miss, which the strategy sees as a failed evaluation.
   */
  evaluate?: (plan: Plan) => Promise<number | undefined>;
}

/** What a backtest found. */
export interface BacktestResult {
  history: Evaluation[];
  best: Evaluation | undefined;
  /** Plans proposed (each spends one evaluation of the budget). */
  proposed: number;
  /** Proposed plans answered from the log. */
  answered: number;
  /** Proposed plans the log never evaluated (and that were not evaluated here). */
  misses: Plan[];
  /** Misses evaluated here with the local toolchain. */
  evaluatedHere: number;
  /** Why it ended: the budget was spent, or the strategy had nothing more to propose. */
  stopReason: "max_evaluations" | "strategy_done";
}

/**
 * Runs `strategy` offline as `runSearch` would run it against a registry (`next` called
 * with the history so far and `min(batchSize, budget left)`), answering each plan from the
 * recorded evaluations; a plan the log never measured is evaluated with `evaluate` when
 * given, else counted as a miss and seen by the strategy as a failed evaluation.
 */
export async function runBacktest(run: BacktestRun): Promise<BacktestResult> {
  const history: Evaluation[] = [];
  const misses: Plan[] = [];
  let answered = 0;
  let evaluatedHere = 0;
  let stopReason: BacktestResult["stopReason"] = "max_evaluations";
  while (history.length < run.maxEvaluations) {
    const plans = run.strategy.next(history, Math.min(run.batchSize, run.maxEvaluations - history.length));
    if (plans.length === 0) { stopReason = "strategy_done"; break; }
    for (const plan of plans) {
      const hit = run.recorded.get(planKey(plan));
      if (hit !== undefined) {
        answered++;
        history.push({ plan, value: hit.value });
      } else if (run.evaluate !== undefined) {
        evaluatedHere++;
        history.push({ plan, value: await run.evaluate(plan) });
      } else {
        misses.push(plan);
        history.push({ plan, value: undefined });
      }
    }
  }
  return { history, best: bestOf(history), proposed: history.length, answered, misses, evaluatedHere, stopReason };
}

import { backtest, missKeys, toolchainHost, type RecordedLog } from "../../client/backtest/index.js";
import { strategyNamed } from "../../client/orchestrator/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { planKey } from "../../kernel/plan/index.js";
import { stringFlag, type ParsedArgs } from "../args.js";
import type { Output } from "../output.js";

/** A positive integer flag, or undefined; invalid_argument naming the flag. */
function countFlag(args: ParsedArgs, name: string, min = 1): number | undefined {
  const text = stringFlag(args, name);
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < min) throw new OpmError("invalid_argument", `--${name}: ${JSON.stringify(text)} is not an integer ≥ ${min}`);
  return Number(text);
}

/**
 * `opm replay LOG --strategy S …`: the backtest of a verified log (see `backtest`). Exit 0,
 * or 1 when the log holds the strategy's campaign with the same seed and a decision differed.
 */
export async function backtestCommand(args: ParsedArgs, out: Output, log: RecordedLog, stateRoot: string): Promise<number> {
  const strategy = strategyNamed(stringFlag(args, "strategy", true));
  const host = toolchainHost(args.values.evaluate === true);
  try {
    const problem = stringFlag(args, "problem");
    const seed = countFlag(args, "seed", 0);
    const maxEvaluations = countFlag(args, "max-evals");
    const batchSize = countFlag(args, "batch-size");
    const report = await backtest({
      log, strategy, ...(problem === undefined ? {} : { problemId: problem }), ...(seed === undefined ? {} : { seed }),
      ...(maxEvaluations === undefined ? {} : { maxEvaluations }), ...(batchSize === undefined ? {} : { batchSize }),
    }, host);
    const { result } = report;
    const best = result.best === undefined ? undefined : { plan: planKey(result.best.plan), value: result.best.value };
    const doc = {
      stateRoot, problemId: report.problemId, compiler: report.compiler, compilerVersion: report.compilerVersion, objective: report.objective,
      baseline: report.baseline, strategy: report.strategy, seed: report.seed, maxEvaluations: report.maxEvaluations, batchSize: report.batchSize,
      recordedPlans: report.recordedPlans, best, proposed: result.proposed, answered: result.answered, misses: result.misses.length,
      evaluatedHere: result.evaluatedHere, stopReason: result.stopReason, firstMisses: missKeys(result),
      ...(report.campaign === undefined ? {} : { campaign: report.campaign }), ...(report.reproduction === undefined ? {} : { reproduction: report.reproduction }),
    };
    out.result(doc, () => [
      `backtest of ${report.strategy} (seed ${report.seed}) on ${report.problemId.slice(0, 16)}… (${report.compiler} ${report.compilerVersion} ${report.objective}, baseline ${report.baseline}): ${report.recordedPlans} plans recorded`,
      `best ${best === undefined ? "none" : `${best.value} with ${best.plan}`}`,
      `${result.proposed} plans proposed: ${result.answered} answered from the log, ${result.misses.length} misses${result.evaluatedHere > 0 ? `, ${result.evaluatedHere} evaluated here` : ""} (${result.stopReason})`,
      ...(report.reproduction === undefined ? []
        : report.reproduction.reproduced ? [`campaign ${report.campaign!.id}: every decision reproduced (${report.reproduction.decisions} plans in ${report.reproduction.batches} batches)`]
          : [`campaign ${report.campaign!.id}: NOT reproduced — batch ${report.reproduction.batch}: ${report.reproduction.reason} (${report.reproduction.decisions} plans matched before)`]),
    ].join("\n"));
    return report.reproduction?.reproduced === false ? 1 : 0;
  } finally {
    await host.close();
  }
}

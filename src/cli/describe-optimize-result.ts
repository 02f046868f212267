import type { OptimizeResult } from "../client/orchestrator/index.js";

/**
 * `opm optimize`'s human summary of a result: the metric with its unit, baseline → best
 * as a percentage and a ratio, the plan, the command that reproduces it, and the failed
 * evaluations by reason.
 */
export function describeOptimizeResult(r: OptimizeResult): string {
  const failed = Object.entries(r.failuresByReason);
  return [
    `${r.objective} (${r.unit}): baseline ${r.baseline} (${r.baselinePlan}) → best ${r.best}, ${r.change} (${r.sizeRatio.toFixed(3)}×)`,
    `plan: ${r.pipeline}`,
    ...(r.flags ? [`options: ${r.flags.join(" ")}`] : []),
    `reproduce: ${r.reproduction}`,
    `  (its input is ${r.file} as the ${r.compiler} toolchain prepared it, sha256 ${r.inputDigest})`,
    `${r.evaluations} evaluations in ${r.seconds.toFixed(1)} s, ${failed.length === 0 ? "none failed" : `${r.failedEvaluations} failed:`}`,
    ...failed.map(([code, n]) => `  ${code} × ${n}${n > 1 ? ", the first" : ""}: ${r.firstFailureMessages[code] ?? ""}`),
    ...(r.failuresByReason["verification_undecided"] !== undefined
      ? ["  (an undecided evaluation is not a result: give runs that reach the functions it names, --run 'ARGS' --input FILE or --runs FILE)"]
      : []),
    ...r.unreproduced.map((u) => `NOT reproduced here, so not reported: ${u.adapter} claimed ${u.claimed} for job ${u.jobId}, this machine measured ${u.measured}`),
    r.bestJobId === ""
      ? "no result of the market reproduced here: the best is the compiler's own default, measured here"
      : `best reproduced here: problem ${r.problemId}, best job ${r.bestJobId}, signal ${r.bestSignalId}`,
    ...(r.release === undefined ? [] : [describeRelease(r.release)]),
  ].join("\n");
}

/** What left the organisation of a private problem's result, and what it cost. */
function describeRelease(r: NonNullable<OptimizeResult["release"]>): string {
  if (!r.released) return `released: nothing (${r.code}: ${r.reason}); others see only the problem's features and digests`;
  return [
    `released (all others see of this result): ${r.quantity} = ${r.value} (clamped to [${r.clamp[0]}, ${r.clamp[1]}], ${r.mechanism})`,
    `  cost ${r.cost} (${r.accountant}${r.charged ? "" : ", released before: nothing charged now"}), ${r.remaining} remains; policy: ${r.policy}`,
  ].join("\n");
}

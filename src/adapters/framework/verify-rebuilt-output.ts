import { runVerifier } from "../verifier/verify-transform.js";
import type { Verdict } from "../verifier/verdict.js";
import type { EvaluationToVerify, ToolchainDeclaration } from "./toolchain.js";

/**
 * Verifies an evaluation with the compiler's own verifier: BEFORE is the problem's
 * input, AFTER the artifact the plan produced, and the metric and output digest are the
 * ones measured (what the signal will claim). `planOptions`: the plan as the compiler's
 * options, for compilers that take it so (GCC rebuilds with them). The input's runs are
 * the semantics layer's runs.
 */
export function verifyRebuiltOutput(
  declaration: ToolchainDeclaration, evaluation: EvaluationToVerify, cache: Map<string, unknown>, planOptions?: readonly string[],
): Promise<Verdict> {
  const { input, objective, measured } = evaluation;
  return runVerifier({
    compiler: declaration.compiler,
    before: { bytes: input.bytes },
    after: { bytes: measured.output },
    objective,
    claimedMetric: measured.value,
    claimedOutputDigest: measured.outputDigest,
    ...(planOptions !== undefined ? { planOptions } : {}),
    ...(input.libraries !== undefined && input.libraries.length > 0 ? { libraries: input.libraries } : {}),
    ...(input.runs !== undefined && input.runs.length > 0 ? { runs: input.runs } : {}),
    ...(input.requiredCoverage !== undefined ? { requiredCoverage: input.requiredCoverage } : {}),
    cache,
  }, declaration.verify);
}

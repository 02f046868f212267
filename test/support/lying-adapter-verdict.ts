import { create } from "@bufbuild/protobuf";
import { VerifierVerdictSchema, type VerifierVerdict } from "../../src/gen/openpassmarket/v1/signal_pb.js";
import type { Measurement, Objective, Plan, ProblemInput, Toolchain, ToolchainInfo } from "../../src/adapters/framework/toolchain.js";

/**
 * Stands in for `src/adapters/framework/verify-evaluation.js` in a test that runs a lying
 * adapter (`vi.mock`): a liar does not run the verifier that would expose it, it signs a
 * verdict with every layer the registry requires marked passed. Same signature as the
 * real `verifyEvaluation`, so the shared adapter loop runs unchanged.
 */
export async function verifyEvaluation(
  _info: ToolchainInfo, _toolchain: Toolchain, _input: ProblemInput, _plan: Plan, objective: Objective, measured: Measurement,
  verifier: string, _cache: Map<string, unknown>,
): Promise<VerifierVerdict> {
  return create(VerifierVerdictSchema, {
    ok: true, verifier,
    layers: ["well-formed", "interface", "semantics", "metric"].map((name) => ({
      name, ok: true, evidence: name === "metric" ? `${objective} ${measured.value}, digest ${measured.outputDigest}` : `${name} checked`,
    })),
  });
}

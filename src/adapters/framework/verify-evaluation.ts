import { create } from "@bufbuild/protobuf";
import { OpmError } from "../../kernel/errors/index.js";
import { VerifierVerdictSchema, type VerifierVerdict } from "../../gen/openpassmarket/v1/signal_pb.js";
import { verifyTransform } from "../verifier/index.js";
import { craneliftSemanticsLayer } from "../cranelift/verify-cranelift.js";
import type { CraneliftToolchain } from "../cranelift/cranelift-toolchain.js";
import type { Measurement, Objective, Plan, ProblemInput, Toolchain, ToolchainInfo } from "./toolchain.js";

/**
 * Runs the IR-invariant verifier on one evaluation, as the adapter that made it, and
 * returns the verdict to sign into the signal. A rejected or undecided transform throws
 * `verification_failed` (the job fails for good: a retry cannot make it correct).
 * `cache` keeps reference builds of the same input across jobs.
 */
export async function verifyEvaluation(
  info: ToolchainInfo, toolchain: Toolchain, input: ProblemInput, plan: Plan, objective: Objective, measured: Measurement,
  verifier: string, cache: Map<string, unknown>,
): Promise<VerifierVerdict> {
  if (info.compiler === "cranelift") {
    // evaluate() already refused any function whose verifier record was missing or failed;
    // semantics: the input and its CLIF after the plan's steps and mid-end, run side by side
    // in the driver's sandboxed interpreter.
    const semantics = await craneliftSemanticsLayer(toolchain as CraneliftToolchain, input, { plan });
    if (!semantics.ok) {
      throw new OpmError("verification_failed", `transform ${semantics.decided === false ? "undecided" : "rejected by layer semantics"}`, { detail: semantics.evidence.slice(0, 4000) });
    }
    return create(VerifierVerdictSchema, {
      ok: true, verifier,
      layers: [
        { name: "well-formed", ok: true, evidence: "Cranelift verifier passed on the input, after every step and on the lowered code (driver record)" },
        { name: "semantics", ok: true, evidence: semantics.evidence.slice(0, 2000) },
        { name: "metric", ok: true, evidence: `${objective} ${measured.value} from the emitted machine code, digest ${measured.outputDigest}` },
      ],
    });
  }
  const verdict = await verifyTransform({
    compiler: info.compiler,
    before: { bytes: input.bytes },
    after: { bytes: measured.output },
    objective,
    claimedMetric: measured.value,
    claimedOutputDigest: measured.outputDigest,
    ...(info.compiler === "gcc" && toolchain.planArguments ? { gccOptions: toolchain.planArguments(plan) } : {}),
    cache,
  });
  if (!verdict.ok) {
    const failed = verdict.layers.find((l) => !l.ok);
    const why = verdict.decided ? `rejected by layer ${failed?.name ?? verdict.rejectedBy ?? "?"}` : `undecided: ${verdict.reason ?? failed?.evidence ?? ""}`;
    throw new OpmError("verification_failed", `transform ${why}`, { detail: (failed?.evidence ?? verdict.reason ?? "").slice(0, 4000) });
  }
  return create(VerifierVerdictSchema, {
    ok: true, verifier, layers: verdict.layers.map((l) => ({ name: l.name, ok: l.ok, evidence: l.evidence.slice(0, 2000) })),
  });
}

import { create } from "@bufbuild/protobuf";
import { OpmError } from "../../kernel/errors/index.js";
import { VerifierVerdictSchema, type VerifierVerdict } from "../../gen/openpassmarket/v1/signal_pb.js";
import type { Objective, Plan } from "../../kernel/plan/index.js";
import type { Measurement, ProblemInput, Toolchain, ToolchainInfo } from "./toolchain.js";

/**
 * Runs the IR-invariant verifier on one evaluation, as the adapter that made it (the
 * toolchain's own `verifyEvaluation`), and returns the verdict to sign into the signal.
 * A rejected transform throws `verification_failed`, an undecided one
 * `verification_undecided` (never signed: an unverified plan is not a result); either
 * way the job fails for good, since a retry cannot change the answer. `cache` keeps reference builds of the same input
 * across jobs.
 */
export async function verifyEvaluation(
  _info: ToolchainInfo, toolchain: Toolchain, input: ProblemInput, plan: Plan, objective: Objective, measured: Measurement,
  verifier: string, cache: Map<string, unknown>,
): Promise<VerifierVerdict> {
  const verdict = await toolchain.verifyEvaluation({ input, plan, objective, measured }, cache);
  if (!verdict.ok) {
    const failed = verdict.layers.find((l) => !l.ok);
    const why = verdict.decided ? `rejected by layer ${failed?.name ?? verdict.rejectedBy ?? "?"}` : `undecided: ${(verdict.reason ?? failed?.evidence ?? "").replace(/^undecided: /, "")}`;
    throw new OpmError(verdict.decided ? "verification_failed" : "verification_undecided", `transform ${why}`, { detail: (failed?.evidence ?? verdict.reason ?? "").slice(0, 4000) });
  }
  return create(VerifierVerdictSchema, {
    ok: true, verifier, layers: verdict.layers.map((l) => ({ name: l.name, ok: l.ok, evidence: l.evidence.slice(0, 2000) })),
  });
}

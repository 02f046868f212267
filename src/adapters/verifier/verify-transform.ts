import { isOpmError, OpmError } from "../../kernel/errors/index.js";
import type { CompilerVerifier } from "../framework/toolchain.js";
import { CHECKABLE_INVARIANTS, type Verdict, type VerifyRequest } from "./verdict.js";

/**
 * Checks a transform in layers — well-formed, interface, semantics, metric — with the
 * compiler's own verifier (`ToolchainDeclaration.verify`) and returns the verdict with each
 * layer's evidence. It stops at the first layer that rejects or cannot decide unless
 * `runAllLayers`. It does not throw for bad input or a missing tool: those give
 * `{ok: false, decided: false, reason}` (the verifier could not decide). Unexpected
 * internal errors are rethrown.
 */
export async function runVerifier(request: VerifyRequest, verify: CompilerVerifier): Promise<Verdict> {
  try {
    const invariants = new Set(request.claimedInvariants ?? []);
    const unknown = [...invariants].filter((i) => !(CHECKABLE_INVARIANTS as readonly string[]).includes(i));
    if (unknown.length > 0) {
      throw new OpmError("invalid_argument", `field \`claimedInvariants\`: cannot check ${unknown.map((u) => JSON.stringify(u)).join(", ")}; known: ${CHECKABLE_INVARIANTS.join(", ")}`, { field: "claimedInvariants" });
    }
    return await verify(request, invariants);
  } catch (err) {
    return undecidedUnlessInternal(err);
  }
}

/** The verdict for an OpmError met while verifying (the verifier could not decide); rethrows `internal` and non-OpmErrors. */
export function undecidedUnlessInternal(err: unknown): Verdict {
  if (isOpmError(err) && err.code !== "internal") {
    return { ok: false, decided: false, layers: [], reason: `${err.code}: ${err.message}${err.detail ? ` (${err.detail.slice(0, 400)})` : ""}` };
  }
  throw err;
}

import { isOpmError, OpmError } from "../../kernel/errors/index.js";
import { CHECKABLE_INVARIANTS, type Verdict, type VerifyRequest } from "./verdict.js";
import { verifyCranelift } from "../cranelift/verify-cranelift.js";
import { verifyGcc } from "../gcc/verify-gcc.js";
import { verifyLlvm } from "../llvm/verify-llvm.js";

/**
 * Checks a transform in layers — well-formed, interface, semantics, metric — and
 * returns the verdict with each layer's evidence. It stops at the first layer that
 * rejects or cannot decide unless `runAllLayers`. It does not throw for bad input or
 * a missing tool: those give `{ok: false, decided: false, reason}` (the verifier could
 * not decide). Unexpected internal errors are rethrown.
 */
export async function verifyTransform(request: VerifyRequest): Promise<Verdict> {
  try {
    const invariants = new Set(request.claimedInvariants ?? []);
    const unknown = [...invariants].filter((i) => !(CHECKABLE_INVARIANTS as readonly string[]).includes(i));
    if (unknown.length > 0) {
      throw new OpmError("invalid_argument", `field \`claimedInvariants\`: cannot check ${unknown.map((u) => JSON.stringify(u)).join(", ")}; known: ${CHECKABLE_INVARIANTS.join(", ")}`, { field: "claimedInvariants" });
    }
    switch (request.compiler) {
      case "llvm":
        return await verifyLlvm(request, invariants);
      case "gcc":
        return await verifyGcc(request, invariants);
      case "cranelift":
        return await verifyCranelift(request, invariants);
      default:
        throw new OpmError("invalid_argument", `field \`compiler\`: unknown compiler ${JSON.stringify(request.compiler)}; expected llvm, gcc or cranelift`, { field: "compiler" });
    }
  } catch (err) {
    if (isOpmError(err) && err.code !== "internal") {
      return { ok: false, decided: false, layers: [], reason: `${err.code}: ${err.message}${err.detail ? ` (${err.detail.slice(0, 400)})` : ""}` };
    }
    throw err;
  }
}

import { OpmError } from "../../kernel/errors/index.js";
import type { CompilerKind } from "../../kernel/plan/index.js";
import { craneliftDeclaration } from "../cranelift/cranelift-declaration.js";
import { gccDeclaration } from "../gcc/gcc-declaration.js";
import { llvmDeclaration } from "../llvm/llvm-declaration.js";
import { runVerifier } from "../verifier/verify-transform.js";
import type { Verdict, VerifyRequest } from "../verifier/verdict.js";
import type { Toolchain, ToolchainDeclaration } from "./toolchain.js";

/**
 * The list of toolchains: the one place that names every compiler folder. Adding a
 * compiler is a folder `src/adapters/<name>/` with its declaration, and one line here.
 */
export const TOOLCHAINS: readonly ToolchainDeclaration[] = [llvmDeclaration, gccDeclaration, craneliftDeclaration];

/** The declaration of `kind`; throws invalid_argument for a compiler this build has no toolchain for. */
export function declarationOf(kind: CompilerKind): ToolchainDeclaration {
  const found = TOOLCHAINS.find((d) => d.compiler === kind);
  if (found === undefined) {
    throw new OpmError("invalid_argument", `field \`compiler\`: no toolchain for ${JSON.stringify(kind)}; this build has ${TOOLCHAINS.map((d) => d.compiler).join(", ")}`, { field: "compiler" });
  }
  return found;
}

/** The Toolchain of the installed compiler of `kind`. */
export function toolchainFor(kind: CompilerKind): Promise<Toolchain> {
  return declarationOf(kind).create();
}

/** The verifier alone on `request`, with its compiler's verifier (see `runVerifier`). */
export function verifyTransform(request: VerifyRequest): Promise<Verdict> {
  const declaration = TOOLCHAINS.find((d) => d.compiler === request.compiler);
  if (declaration === undefined) {
    return Promise.resolve({ ok: false, decided: false, layers: [], reason: `invalid_argument: field \`compiler\`: unknown compiler ${JSON.stringify(request.compiler)}` });
  }
  return runVerifier(request, declaration.verify);
}

import { OpmError } from "../../kernel/errors/index.js";
import type { ToolchainDeclaration } from "../framework/toolchain.js";

/**
 * Cranelift (the published crates, through the Rust driver): machine-code bytes or CLIF
 * instruction count. Its plans do not change a module's functions or signatures, and its
 * semantics come from running the CLIF before and after the plan side by side in the
 * driver's sandboxed interpreter, not from running machine code: well-formed, semantics
 * and metric.
 */
export const craneliftDeclaration: ToolchainDeclaration = {
  compiler: "cranelift",
  title: "Cranelift",
  dialect: "clif",
  objectives: ["code-size", "ir-instcount"],
  requiredLayers: ["well-formed", "semantics", "metric"],
  create: async () => {
    const { CraneliftToolchain } = await import("./cranelift-toolchain.js").catch((err: unknown) => {
      throw new OpmError("tool_missing", "the Cranelift adapter is not available in this build", { cause: err });
    });
    return new CraneliftToolchain();
  },
  verify: async (request, invariants) => (await import("./verify-cranelift.js")).verifyCranelift(request, invariants),
};

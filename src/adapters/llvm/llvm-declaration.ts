import type { ToolchainDeclaration } from "../framework/toolchain.js";

/** LLVM (Debian's clang, opt, llc): IR instruction count or `.text` bytes, all four verifier layers. */
export const llvmDeclaration: ToolchainDeclaration = {
  compiler: "llvm",
  title: "LLVM",
  dialect: "llvm-ir",
  objectives: ["ir-instcount", "text-size"],
  requiredLayers: ["well-formed", "interface", "semantics", "metric"],
  create: async () => new (await import("./llvm-toolchain.js")).LlvmToolchain(),
  verify: async (request, invariants) => (await import("./verify-llvm.js")).verifyLlvm(request, invariants),
};

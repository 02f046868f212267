import type { ToolchainDeclaration } from "../framework/toolchain.js";

/** GCC: `.text` bytes of the object (or all code), all four verifier layers. */
export const gccDeclaration: ToolchainDeclaration = {
  compiler: "gcc",
  title: "GCC",
  dialect: "gnu-c",
  objectives: ["text-size", "code-size"],
  requiredLayers: ["well-formed", "interface", "semantics", "metric"],
  create: async () => new (await import("./gcc-toolchain.js")).GccToolchain(),
  verify: async (request, invariants) => (await import("./verify-gcc.js")).verifyGcc(request, invariants),
};

export { GccToolchain } from "./gcc-toolchain.js";
export { gccDeclaration } from "./gcc-declaration.js";
export { GCC_UNSAFE_FLAGS, gccSearchSpace } from "./gcc-search-space.js";
export type { GccToolchainOptions } from "./gcc-toolchain.js";
export { buildGccCatalog, compilesCleanly } from "./gcc-catalog.js";
export type { GccCatalogOptions } from "./gcc-catalog.js";
export { gccPlanOptions } from "./gcc-plan.js";
export { parseGccDescriptions, parseOptimizerFlags, parseParams, GCC_INT_MAX } from "./parse-gcc-help.js";
export type { GccCandidate } from "./parse-gcc-help.js";

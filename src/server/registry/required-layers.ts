import { TOOLCHAINS } from "../../adapters/framework/toolchains.js";
import { LAYER_NAMES } from "../../adapters/verifier/index.js";
import type { Compiler } from "../../gen/openpassmarket/v1/common_pb.js";
import { compilerName } from "../../kernel/plan/index.js";

/**
 * The verifier layers a signal about a problem of `compiler` must carry, passing: its
 * toolchain's declaration decides (`ToolchainDeclaration.requiredLayers`). A compiler this
 * build has no toolchain for requires all four, so nothing less slips through.
 */
export function requiredLayersOf(compiler: Compiler): readonly string[] {
  const name = compilerName(compiler);
  return TOOLCHAINS.find((d) => d.compiler === name)?.requiredLayers ?? LAYER_NAMES;
}

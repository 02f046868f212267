import { autophaseFeatures } from "./autophase-features.js";
import { instCountFeatures } from "./inst-count-features.js";
import { readLlvmIr } from "./read-llvm-ir.js";

/**
 * The privacy-safe feature vector of a module, computed locally from its textual IR:
 * `instcount.*` (one count per LLVM opcode plus totals, see `instCountFeatures`) and
 * `autophase.*` (CompilerGym's 56 Autophase features, see `autophaseFeatures`).
 * Nothing in it names a symbol or carries a constant's value.
 */
export function llvmFeatures(irText: string): Record<string, number> {
  const module = readLlvmIr(irText);
  return { ...instCountFeatures(module), ...autophaseFeatures(module) };
}

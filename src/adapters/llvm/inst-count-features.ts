import { LLVM_OPCODES, type IrModule } from "./read-llvm-ir.js";

/**
 * Instruction-kind counts in the spirit of CompilerGym's `InstCount` observation:
 * `instcount.<opcode>` for every LLVM 14 opcode (zero when absent, so the vector has
 * a fixed shape of 65 + 3 entries) plus `instcount.TotalInsts`,
 * `instcount.TotalBlocks` and `instcount.TotalFuncs`. Only defined functions count.
 */
export function instCountFeatures(module: IrModule): Record<string, number> {
  const features: Record<string, number> = {};
  for (const op of LLVM_OPCODES) features[`instcount.${op}`] = 0;
  let blocks = 0;
  for (const fn of module.functions) {
    blocks += fn.blocks.length;
    for (const block of fn.blocks) {
      for (const inst of block.instructions) features[`instcount.${inst.opcode}`]! += 1;
    }
  }
  features["instcount.TotalInsts"] = countInstructions(module);
  features["instcount.TotalBlocks"] = blocks;
  features["instcount.TotalFuncs"] = module.functions.length;
  return features;
}

/**
 * The `ir-instcount` metric: the number of instructions in the module's defined
 * functions (declarations have none), terminators, phis and debug-intrinsic calls
 * included — the figure `opt -passes=instcount -stats` reports as "Number of
 * instructions (of all types)" and the number of INST_* records that
 * `llvm-bcanalyzer` finds in the function blocks of the same module as bitcode.
 */
export function countInstructions(module: IrModule): number {
  let n = 0;
  for (const fn of module.functions) for (const block of fn.blocks) n += block.instructions.length;
  return n;
}

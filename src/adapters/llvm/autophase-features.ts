import { constantIntOperands, isDirectIntCall, binaryOperands } from "./ir-operands.js";
import type { IrModule } from "./read-llvm-ir.js";

/**
 * The 56 Autophase features (Haj-Ali et al., MLSys 2020), named and ordered as
 * CompilerGym's `Autophase` observation, which is the reference: its
 * `AutophaseInstCount.cpp` pass defines each count and this mirrors it on the
 * textual IR. Notes where text differs from the in-memory IR:
 * - constants (`const32Bit`, `const64Bit`, `numConstZeroes`, `numConstOnes`) count
 *   `ConstantInt` operands; an `alloca` without an explicit count has the implicit
 *   operand `i32 1`, which is counted like LLVM does. Integers inside constant
 *   expressions (`getelementptr (...)` as an operand) and vector constants are not
 *   `ConstantInt` operands and are not counted. Approximation: an integer literal in
 *   an operand position this reader does not recognise (exotic instruction forms)
 *   is missed rather than guessed.
 * - `returnInt` counts direct calls (`call … @f(…)`) whose return type is `iN`;
 *   calls through a pointer or a constant-expression cast have no called function
 *   in LLVM and are not counted there either.
 */
export const AUTOPHASE_FEATURE_NAMES = [
  "BBNumArgsHi", "BBNumArgsLo", "onePred", "onePredOneSuc", "onePredTwoSuc", "oneSuccessor", "twoPred",
  "twoPredOneSuc", "twoEach", "twoSuccessor", "morePreds", "BB03Phi", "BBHiPhi", "BBNoPhi", "BeginPhi",
  "BranchCount", "returnInt", "CriticalCount", "NumEdges", "const32Bit", "const64Bit", "numConstZeroes",
  "numConstOnes", "UncondBranches", "binaryConstArg", "NumAShrInst", "NumAddInst", "NumAllocaInst",
  "NumAndInst", "BlockMid", "BlockLow", "NumBitCastInst", "NumBrInst", "NumCallInst",
  "NumGetElementPtrInst", "NumICmpInst", "NumLShrInst", "NumLoadInst", "NumMulInst", "NumOrInst",
  "NumPHIInst", "NumRetInst", "NumSExtInst", "NumSelectInst", "NumShlInst", "NumStoreInst", "NumSubInst",
  "NumTruncInst", "NumXorInst", "NumZExtInst", "TotalBlocks", "TotalInsts", "TotalMemInst", "TotalFuncs",
  "ArgsPhi", "testUnary",
] as const;

export type AutophaseFeature = (typeof AUTOPHASE_FEATURE_NAMES)[number];

/** Opcode → Autophase `Num…Inst` counter, for the opcodes Autophase reports. */
const OPCODE_COUNTER: Record<string, AutophaseFeature> = {
  ashr: "NumAShrInst", add: "NumAddInst", alloca: "NumAllocaInst", and: "NumAndInst", bitcast: "NumBitCastInst",
  br: "NumBrInst", call: "NumCallInst", getelementptr: "NumGetElementPtrInst", icmp: "NumICmpInst",
  lshr: "NumLShrInst", load: "NumLoadInst", mul: "NumMulInst", or: "NumOrInst", phi: "NumPHIInst",
  ret: "NumRetInst", sext: "NumSExtInst", select: "NumSelectInst", shl: "NumShlInst", store: "NumStoreInst",
  sub: "NumSubInst", trunc: "NumTruncInst", xor: "NumXorInst", zext: "NumZExtInst",
};

/** Autophase's TotalMemInst: GEP + load + store + call + invoke + alloca. */
const MEMORY_OPCODES = new Set(["getelementptr", "load", "store", "call", "invoke", "alloca"]);

/** `llvm::UnaryInstruction` subclasses: alloca, casts, extractvalue, load, fneg, va_arg, freeze. */
const UNARY_OPCODES = new Set([
  "alloca", "load", "va_arg", "extractvalue", "fneg", "freeze", "trunc", "zext", "sext", "fptoui", "fptosi",
  "uitofp", "sitofp", "fptrunc", "fpext", "ptrtoint", "inttoptr", "bitcast", "addrspacecast",
]);

/** `llvm::BinaryOperator` opcodes. */
export const BINARY_OPCODES: ReadonlySet<string> = new Set([
  "add", "fadd", "sub", "fsub", "mul", "fmul", "udiv", "sdiv", "fdiv", "urem", "srem", "frem",
  "shl", "lshr", "ashr", "and", "or", "xor",
]);

/** Computes the 56 features under the names of `AUTOPHASE_FEATURE_NAMES`, prefixed `autophase.`. */
export function autophaseFeatures(module: IrModule): Record<string, number> {
  const f = Object.fromEntries(AUTOPHASE_FEATURE_NAMES.map((n) => [n, 0])) as Record<AutophaseFeature, number>;
  for (const fn of module.functions) {
    f.TotalFuncs++;
    const preds = new Map<string, number>();
    for (const block of fn.blocks) for (const s of block.successors) preds.set(s, (preds.get(s) ?? 0) + 1);

    for (const block of fn.blocks) {
      f.TotalBlocks++;
      const succ = block.successors.length;
      const pred = block.label === "" ? 0 : (preds.get(block.label) ?? 0);
      f.NumEdges += succ;
      // isCriticalEdge: a multi-successor terminator into a block with several predecessors.
      if (succ > 1) for (const s of block.successors) if ((preds.get(s) ?? 0) > 1) f.CriticalCount++;
      if (succ === 1) f.oneSuccessor++;
      else if (succ === 2) f.twoSuccessor++;
      if (pred === 1) f.onePred++;
      else if (pred === 2) f.twoPred++;
      else if (pred > 2) f.morePreds++;
      if (pred === 1 && succ === 1) f.onePredOneSuc++;
      else if (pred === 2 && succ === 1) f.twoPredOneSuc++;
      else if (pred === 1 && succ === 2) f.onePredTwoSuc++;
      else if (pred === 2 && succ === 2) f.twoEach++;

      let phis = 0;
      let phiArgs = 0;
      block.instructions.forEach((inst, index) => {
        const op = inst.opcode;
        f.TotalInsts++;
        const counter = OPCODE_COUNTER[op];
        if (counter) f[counter]++;
        if (MEMORY_OPCODES.has(op)) f.TotalMemInst++;
        if (UNARY_OPCODES.has(op)) f.testUnary++;
        if (op === "br") {
          f.BranchCount++;
          if (/^br\s+label\b/.test(inst.text)) f.UncondBranches++;
        }
        if (op === "phi") {
          if (index === 0) f.BeginPhi++;
          phis++;
          const incoming = (inst.text.match(/\[/g) ?? []).length;
          phiArgs += incoming;
          f.ArgsPhi += incoming;
        }
        if (op === "call" && isDirectIntCall(inst.text)) f.returnInt++;
        if (BINARY_OPCODES.has(op)) {
          const [a, b] = binaryOperands(inst.text);
          if ((a !== undefined && !a.startsWith("%")) || (b !== undefined && !b.startsWith("%"))) f.binaryConstArg++;
        }
        for (const c of constantIntOperands(inst)) {
          if (c.width === 32) f.const32Bit++;
          else if (c.width === 64) f.const64Bit++;
          if (c.isOne) f.numConstOnes++;
          else if (c.isZero) f.numConstZeroes++;
        }
      });
      if (phis === 0) f.BBNoPhi++;
      else if (phis <= 3) f.BB03Phi++;
      else f.BBHiPhi++;
      if (phiArgs > 5) f.BBNumArgsHi++;
      else if (phiArgs >= 1) f.BBNumArgsLo++;
      const size = block.instructions.length;
      if (size < 15) f.BlockLow++;
      else if (size <= 500) f.BlockMid++;
    }
  }
  return Object.fromEntries(AUTOPHASE_FEATURE_NAMES.map((n) => [`autophase.${n}`, f[n]]));
}

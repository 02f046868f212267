import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AUTOPHASE_FEATURE_NAMES, autophaseFeatures } from "./autophase-features.js";
import { instCountFeatures } from "./inst-count-features.js";
import { readLlvmIr } from "./read-llvm-ir.js";

const module = readLlvmIr(readFileSync(new URL("./testdata/features.ll", import.meta.url), "utf8"));

describe("autophaseFeatures", () => {
  it("has CompilerGym's 56 names in order", () => {
    expect(AUTOPHASE_FEATURE_NAMES).toHaveLength(56);
    expect(Object.keys(autophaseFeatures(module))).toEqual(AUTOPHASE_FEATURE_NAMES.map((n) => `autophase.${n}`));
  });

  it("counts testdata/features.ll as worked out by hand", () => {
    const f = autophaseFeatures(module);
    const expected: Record<string, number> = {
      // CFG: entry→{a,m}, a→m, m→{d,d,e}; preds a:1 m:2 d:2 e:1
      TotalBlocks: 5, TotalFuncs: 1, TotalInsts: 12, NumEdges: 6, CriticalCount: 3,
      oneSuccessor: 1, twoSuccessor: 1, onePred: 2, twoPred: 2, morePreds: 0,
      onePredOneSuc: 1, twoPredOneSuc: 0, onePredTwoSuc: 0, twoEach: 0,
      BB03Phi: 1, BBHiPhi: 0, BBNoPhi: 4, BeginPhi: 1, ArgsPhi: 2, BBNumArgsLo: 1, BBNumArgsHi: 0,
      BranchCount: 2, UncondBranches: 1, returnInt: 1,
      // alloca's implicit i32 1, store 0, icmp 0, add 1, phi 0, switch cases 1 and 2; call arg i64 32
      const32Bit: 7, const64Bit: 1, numConstZeroes: 3, numConstOnes: 3, binaryConstArg: 1,
      NumAddInst: 1, NumAllocaInst: 1, NumBrInst: 2, NumCallInst: 1, NumICmpInst: 1, NumPHIInst: 1,
      NumRetInst: 1, NumStoreInst: 1, NumZExtInst: 1, NumMulInst: 0, NumLoadInst: 0,
      BlockLow: 5, BlockMid: 0, TotalMemInst: 3, testUnary: 2,
    };
    for (const [name, value] of Object.entries(expected)) expect([name, f[`autophase.${name}`]]).toEqual([name, value]);
  });
});

describe("instCountFeatures", () => {
  it("counts every opcode, with zeros for absent ones", () => {
    const f = instCountFeatures(module);
    expect(f["instcount.TotalInsts"]).toBe(12);
    expect(f["instcount.TotalBlocks"]).toBe(5);
    expect(f["instcount.TotalFuncs"]).toBe(1);
    expect(f["instcount.switch"]).toBe(1);
    expect(f["instcount.unreachable"]).toBe(1);
    expect(f["instcount.fadd"]).toBe(0);
    expect(Object.keys(f)).toHaveLength(65 + 3);
  });
});

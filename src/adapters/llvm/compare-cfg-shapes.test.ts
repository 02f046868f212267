import { describe, expect, it } from "vitest";
import { readLlvmIr } from "./read-llvm-ir.js";
import { compareCfgShapes } from "./compare-cfg-shapes.js";

const F = (body: string): string => `define i32 @f(i1 %c) {\n${body}\n}\n`;
const DIAMOND = F(`  br i1 %c, label %a, label %b\na:\n  br label %m\nb:\n  br label %m\nm:\n  ret i32 0`);

describe("compareCfgShapes", () => {
  it("ignores relabelled blocks", () => {
    const relabelled = DIAMOND.replaceAll("%a", "%x").replace("\na:", "\nx:");
    expect(compareCfgShapes(readLlvmIr(DIAMOND), readLlvmIr(relabelled))).toEqual([]);
  });

  it("reports swapped successors and removed blocks", () => {
    const swapped = DIAMOND.replace("label %a, label %b", "label %b, label %a");
    expect(compareCfgShapes(readLlvmIr(DIAMOND), readLlvmIr(swapped))).toEqual(["function @f: successors of block #0 (entry) changed from [1,2] to [2,1]"]);
    const merged = F("  ret i32 0");
    expect(compareCfgShapes(readLlvmIr(DIAMOND), readLlvmIr(merged))).toEqual(["function @f: 4 blocks became 1"]);
  });
});

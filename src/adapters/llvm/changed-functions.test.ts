import { describe, expect, it } from "vitest";
import { blockGuards, changedFunctions, reachableFunctions } from "./changed-functions.js";
import { readLlvmIr } from "./read-llvm-ir.js";

const module = (body: string): string => `
@table = global [1 x i32 (i32)*] [i32 (i32)* @viaTable]
@.str = private constant [3 x i8] c"%d\\00"

define i32 @main() #0 {
  %1 = call i32 @used(i32 1), !dbg !7
  ret i32 %1
}

define internal i32 @used(i32 %x) #1 {
  %1 = add i32 %x, ${body}
  ret i32 %1
}

define i32 @viaTable(i32 %x) {
  ret i32 %x
}

define i32 @neverCalled(i32 %x) {
  %1 = mul i32 %x, ${body}
  ret i32 %1
}
`;

describe("changedFunctions", () => {
  it("lists functions whose bodies differ, not those that differ only in metadata and attribute numbers", () => {
    const before = readLlvmIr(module("1"));
    const renumbered = readLlvmIr(module("1").replace("!dbg !7", "!dbg !12").replace("#1", "#4"));
    expect(changedFunctions(before, renumbered)).toEqual([]);
    const after = readLlvmIr(module("2") + "\ndefine internal void @main.cold() {\n  ret void\n}\n");
    expect(changedFunctions(before, after)).toEqual([
      { name: "used", instructions: 2, added: false, changedBlocks: [2] },
      { name: "neverCalled", instructions: 2, added: false, changedBlocks: [2] },
      { name: "main.cold", instructions: 1, added: true, changedBlocks: [1] },
    ]);
  });
});

describe("reachableFunctions", () => {
  it("follows calls from main and functions globals refer to, and leaves out what nothing reaches", () => {
    const text = module("1");
    expect([...reachableFunctions(readLlvmIr(text), text)].sort()).toEqual(["main", "used", "viaTable"]);
  });
});

describe("blockGuards", () => {
  it("numbers the blocks as SanitizerCoverage does, without blocks that start unreachable or functions that do", () => {
    const text = [
      "define void @a(i1 %c) {", "  br i1 %c, label %x, label %y", "x:", "  unreachable", "y:", "  ret void", "}",
      "define void @dead() {", "  unreachable", "}",
      "define void @b() {", "  ret void", "}",
    ].join("\n");
    const { guards, total } = blockGuards(readLlvmIr(text));
    expect(guards.get("a")).toEqual([1, undefined, 2]);
    expect(guards.get("dead")).toEqual([undefined]);
    expect(guards.get("b")).toEqual([3]);
    expect(total).toBe(3);
  });
});

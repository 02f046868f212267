import { describe, expect, it } from "vitest";
import { gepOffset, readDataLayout, typeLayout } from "./llvm-type-layout.js";
import { readTypeValue, type LlvmType } from "./read-llvm-constant.js";

const X86_64 = readDataLayout("e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128");
const types = new Map([["struct.entry", "{ i8*, i32 }"], ["struct.outer", "{ i8, %struct.entry, [3 x i16] }"]]);
const resolve = (name: string): LlvmType | undefined => (types.has(name) ? readTypeValue(types.get(name)!) : undefined);
const layout = (t: string) => typeLayout(readTypeValue(t)!, X86_64, resolve);

describe("typeLayout", () => {
  it.each([
    ["i1", 1n, 1n], ["i32", 4n, 4n], ["i64", 8n, 8n], ["i24", 4n, 4n], ["x86_fp80", 16n, 16n], ["double", 8n, 8n],
    ["i8*", 8n, 8n], ["[3 x i16]", 6n, 2n], ["{ i8, i32 }", 8n, 4n], ["<{ i8, i32 }>", 5n, 1n],
    ["%struct.entry", 16n, 8n], ["%struct.outer", 32n, 8n], ["<4 x i32>", 16n, 16n],
  ])("%s: size %s, alignment %s", (t, size, align) => {
    expect(layout(t)).toEqual({ size, align });
  });

  it("has no layout for unknown or unsized types", () => {
    for (const t of ["%struct.unknown", "void", "i32 (i32)"]) expect(layout(t), t).toBeUndefined();
  });

  it("follows LLVM's defaults without a data layout (i64 aligned to 4)", () => {
    expect(typeLayout(readTypeValue("{ i32, i64 }")!, readDataLayout(undefined), resolve)).toEqual({ size: 12n, align: 4n });
  });
});

describe("gepOffset", () => {
  it.each([
    ["[6 x i8]", [0n, 2n], 2n],
    ["%struct.entry", [0n, 1n], 8n],
    ["%struct.outer", [0n, 2n, 1n], 26n],
    ["%struct.outer", [1n], 32n],
    ["i32", [-1n], -4n],
  ])("getelementptr (%s, …) with indices %s adds %s bytes", (t, indices, offset) => {
    expect(gepOffset(readTypeValue(t)!, indices, X86_64, resolve)).toBe(offset);
  });

  it("refuses a struct index out of range", () => {
    expect(gepOffset(readTypeValue("%struct.entry")!, [0n, 2n], X86_64, resolve)).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { readLlvmType, splitTopLevel } from "./read-llvm-type.js";

describe("readLlvmType", () => {
  it.each([
    ["i32 noundef %0", "i32", " noundef %0"],
    ["i8** nocapture %1", "i8**", " nocapture %1"],
    ["%struct.record* noundef %0", "%struct.record*", " noundef %0"],
    ["[4 x i8] c\"abc\\00\"", "[4 x i8]", ' c"abc\\00"'],
    ["{ i32,   i8* } zeroinitializer", "{i32, i8*}", " zeroinitializer"],
    ["<4 x i32> %v", "<4 x i32>", " %v"],
    ["i32 (%struct.record*, %struct.record*)* noundef %2", "i32 (%struct.record*, %struct.record*)*", " noundef %2"],
    ["ptr addrspace(1) %p", "ptr addrspace(1)", " %p"],
  ])("%s", (text, type, rest) => {
    expect(readLlvmType(text)).toEqual({ type, rest });
  });

  it("returns undefined for text that is not a type", () => {
    expect(readLlvmType("noundef %0")).toBeUndefined();
  });
});

describe("splitTopLevel", () => {
  it("splits on commas outside brackets and strings", () => {
    expect(splitTopLevel('i8* getelementptr ([3 x i8], [3 x i8]* @s, i64 0, i64 0), i32 c",", align 4')).toEqual([
      "i8* getelementptr ([3 x i8], [3 x i8]* @s, i64 0, i64 0)", 'i32 c","', "align 4",
    ]);
  });
});

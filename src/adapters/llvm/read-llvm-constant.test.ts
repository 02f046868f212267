import { describe, expect, it } from "vitest";
import { readLlvmConstant, readTypedLlvmConstant, readTypeValue } from "./read-llvm-constant.js";

describe("readTypeValue", () => {
  it.each([
    ["i32", { kind: "int", bits: 32 }],
    ["[4 x i8]*", { kind: "pointer", addrspace: 0 }],
    ["ptr addrspace(3)", { kind: "pointer", addrspace: 3 }],
    ["i8 addrspace(1)*", { kind: "pointer", addrspace: 1 }],
    ["<{ i8, i32 }>", { kind: "struct", packed: true, fields: [{ kind: "int", bits: 8 }, { kind: "int", bits: 32 }] }],
    ["<4 x float>", { kind: "vector", count: 4, scalable: false, element: { kind: "float", name: "float" } }],
    ["i32 (i8*, ...)", { kind: "function", ret: { kind: "int", bits: 32 }, params: [{ kind: "pointer", addrspace: 0 }], varargs: true }],
    ["%struct.entry", { kind: "named", name: "struct.entry" }],
  ])("reads %s", (text, type) => {
    expect(readTypeValue(text)).toEqual(type);
  });

  it("reads nothing from what is not one whole type", () => {
    for (const text of ["i32 5", "[4 x", "", "global"]) expect(readTypeValue(text), text).toBeUndefined();
  });
});

describe("readLlvmConstant", () => {
  it("reads c-strings as arrays of i8, integers as values, and keeps the text", () => {
    const s = readLlvmConstant("[3 x i8]", 'c"a\\5C\\00"');
    expect(s).toMatchObject({ kind: "aggregate", elements: [{ value: 97n }, { value: 0x5cn }, { value: 0n }] });
    expect(readLlvmConstant("i1", "true")).toMatchObject({ kind: "int", value: 1n });
  });

  it("reads a GEP constant expression into its operation, flags and typed items", () => {
    const g = readTypedLlvmConstant("i8* getelementptr inbounds ([2 x i8], [2 x i8]* @.str, i32 0, i64 -1)");
    expect(g).toMatchObject({
      kind: "expr", op: "getelementptr", words: ["inbounds"],
      items: [{ type: { kind: "array", count: 2 } }, { value: { kind: "symbol", name: ".str" } }, { value: { value: 0n } }, { value: { value: -1n } }],
    });
    expect(g?.text).toBe("getelementptr inbounds ([2 x i8], [2 x i8]* @.str, i32 0, i64 -1)");
  });

  it("reads casts with their destination type", () => {
    expect(readTypedLlvmConstant("i8** bitcast (%struct.entry* @first to i8**)")).toMatchObject({
      kind: "expr", op: "bitcast", items: [{ type: { kind: "pointer" }, value: { kind: "symbol", name: "first" }, to: { kind: "pointer" } }],
    });
  });

  it("reads nothing from text it does not understand (the caller compares it as written)", () => {
    expect(readLlvmConstant("i32", "5 6")).toBeUndefined();
    expect(readLlvmConstant("i32", "getelementptr (")).toBeUndefined();
    expect(readLlvmConstant("i32", "@x + 1")).toBeUndefined();
  });
});

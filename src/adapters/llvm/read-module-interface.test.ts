import { describe, expect, it } from "vitest";
import { compareModuleInterfaces } from "./compare-module-interfaces.js";
import { readModuleInterface } from "./read-module-interface.js";

const BEFORE = `target datalayout = "e-m:e"
target triple = "x86_64-pc-linux-gnu"
%struct.pair = type { i32, i8* }
@counter = dso_local global i32 5, align 4
@table = dso_local constant [2 x i16] [i16 1, i16 2], align 2
@.str = private unnamed_addr constant [4 x i8] c"%d\\0A\\00", align 1
@ext = external global i32, align 4
define dso_local i32 @scale(i32 noundef %0) #0 {
  ret i32 %0
}
define internal i32 @helper(i32* noundef %0, i32 noundef %1) #0 {
  ret i32 0
}
declare i32 @printf(i8* noundef, ...) #1
`;

describe("readModuleInterface", () => {
  it("reads linkage, signatures without attributes, constness and initializers", () => {
    const m = readModuleInterface(BEFORE);
    expect(m.triple).toBe("x86_64-pc-linux-gnu");
    expect(m.symbols.get("scale")).toMatchObject({ kind: "function", defined: true, linkage: "external", type: "i32 (i32)" });
    expect(m.symbols.get("helper")).toMatchObject({ linkage: "internal", type: "i32 (i32*, i32)" });
    expect(m.symbols.get("printf")).toMatchObject({ defined: false, type: "i32 (i8*, ...)" });
    expect(m.symbols.get("counter")).toMatchObject({ kind: "global", defined: true, constness: "global", type: "i32", initializer: "5" });
    expect(m.symbols.get("table")).toMatchObject({ constness: "constant", type: "[2 x i16]", initializer: "[i16 1, i16 2]" });
    expect(m.symbols.get("ext")).toMatchObject({ defined: false, initializer: "" });
  });

  it("reads named types and unnamed_addr, which give initializers their meaning", () => {
    const m = readModuleInterface(BEFORE);
    expect(m.types).toEqual(new Map([["struct.pair", "{ i32, i8* }"]]));
    expect(m.symbols.get(".str")).toMatchObject({ linkage: "private", unnamedAddr: "unnamed_addr", constness: "constant" });
    expect(m.symbols.get("counter")?.unnamedAddr).toBeUndefined();
  });
});

describe("compareModuleInterfaces", () => {
  const check = (after: string): string[] => compareModuleInterfaces(readModuleInterface(BEFORE), readModuleInterface(after));

  it("accepts what optimisers legitimately do: new attributes, dropped internals, libc calls", () => {
    const after = BEFORE
      .replace("define dso_local i32 @scale(i32 noundef %0) #0", "define dso_local i32 @scale(i32 noundef returned %0) local_unnamed_addr #3")
      .replace(/define internal i32 @helper[\s\S]*?\n}\n/, "")
      .replace("declare i32 @printf(i8* noundef, ...) #1", "declare noundef i32 @printf(i8* nocapture noundef readonly, ...) #1\ndeclare i32 @puts(i8*)\ndeclare void @llvm.memset.p0i8.i64(i8*, i8, i64, i1)");
    expect(check(after)).toEqual([]);
  });

  it.each([
    ["changed-signature", (s: string) => s.replace("@scale(i32 noundef %0)", "@scale(i64 noundef %0)"), /@scale: signature `i32 \(i32\)` became `i32 \(i64\)`/],
    ["removed-export", (s: string) => s.replace(/define dso_local i32 @scale[\s\S]*?\n}\n/, ""), /exported function @scale .*gone/],
    ["internalised-export", (s: string) => s.replace("define dso_local i32 @scale", "define internal i32 @scale"), /@scale: linkage external became internal/],
    ["new-export", (s: string) => s.replace("define internal i32 @helper", "define dso_local i32 @helper"), /@helper is newly exported/],
    ["changed-initializer", (s: string) => s.replace("[i16 1, i16 2]", "[i16 1, i16 3]"), /@table: initial value/],
    ["constant-to-global", (s: string) => s.replace("dso_local constant [2 x i16]", "dso_local global [2 x i16]"), /@table: constant became global/],
    ["new-undefined-external", (s: string) => `${s}declare void @system(i8*)\n`, /undefined external symbol @system/],
    ["changed-triple", (s: string) => s.replace("x86_64-pc-linux-gnu", "aarch64-linux-gnu"), /target triple/],
  ])("rejects %s", (_name, edit, message) => {
    expect(check(edit(BEFORE)).join("\n")).toMatch(message);
  });
});

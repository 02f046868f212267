import { describe, expect, it } from "vitest";
import { changedGccFunctions, functionName } from "./changed-gcc-functions.js";
import { definedFunctions, sourceFunctionName } from "./gcc-coverage.js";
import { parseNmListing } from "./object-symbols.js";

describe("changedGccFunctions", () => {
  it("lists every function an object defines, GCC's clones merged into their origin", () => {
    // `nm -P` of `gcc -O2 -c` on a file with a weak function, a cold path and a specialised static.
    const { functions } = parseNmListing([
      "abort U         ",
      "g T 60 d",
      "g.cold t 0 6",
      "main T 0 16",
      "helper.constprop.0 t 70 20",
      "helper.constprop.0.isra.0 t 90 4",
      "wf W 0 3",
      "table D 0 40",
      "",
    ].join("\n"));
    expect(changedGccFunctions([{ unit: undefined, functions }])).toEqual([
      { name: "g", instructions: 0xd + 6, added: false },
      { name: "main", instructions: 0x16, added: false },
      // Only clones of the static `helper` remain: `added` until the source is known to define it.
      { name: "helper", instructions: 0x20 + 4, added: true },
      { name: "wf", instructions: 3, added: false },
    ]);
  });

  it("names a unit's statics by unit in a bundle, and a clone of a global after the global", () => {
    const a = parseNmListing("helper t 0 12\nmain T 20 30\n").functions;
    const b = parseNmListing("helper t 0 8\nfromb T 10 9\nfromb.part.0 t 30 5\n").functions;
    expect(changedGccFunctions([{ unit: "a.c", functions: a }, { unit: "src/b.c", functions: b }])).toEqual([
      { name: "a.c:helper", instructions: 0x12, added: false },
      { name: "main", instructions: 0x30, added: false },
      { name: "src/b.c:helper", instructions: 8, added: false },
      { name: "fromb", instructions: 9 + 5, added: false },
    ]);
    expect(functionName(undefined, "helper", true)).toBe("helper");
    expect(functionName("a.c", "main", false)).toBe("main");
  });

  it("reads a symbol without a size as one byte, and keeps data and undefined symbols apart", () => {
    const s = parseNmListing("start t 0\nbuf B 0 100\nputs U\nweakref w\n");
    expect(s.functions).toEqual([{ name: "start", local: true, bytes: 1 }]);
    expect([...s.defined]).toEqual([["buf", "data"]]);
    expect([...s.undefined]).toEqual(["puts", "weakref"]);
  });
});

describe("the names of clang's coverage build", () => {
  it("recovers a static's C name from -funique-internal-linkage-names", () => {
    expect(sourceFunctionName("_ZL6helperi.__uniq.189702194130118823156495581805298510048")).toBe("helper");
    expect(sourceFunctionName("_ZL12parse_headerPKcz.__uniq.1")).toBe("parse_header");
    expect(sourceFunctionName("kr.__uniq.42")).toBe("kr");
    expect(sourceFunctionName("main")).toBe("main");
    expect(sourceFunctionName("f.1")).toBe("f.1");
  });

  it("lists the functions a module defines and which are local", () => {
    const ir = [
      "define dso_local i32 @main(i32 noundef %0, i8** noundef %1) #0 {",
      "declare i32 @printf(i8* noundef, ...) #1",
      "define internal i32 @_ZL6helperi.__uniq.1(i32 noundef %0) #1 {",
      "define private void @\"odd name\"() {",
      "define weak dso_local i32 @wf(i32 noundef %0) #0 {",
    ].join("\n");
    expect(definedFunctions(ir)).toEqual([
      { name: "main", local: false },
      { name: "_ZL6helperi.__uniq.1", local: true },
      { name: "odd name", local: true },
      { name: "wf", local: false },
    ]);
  });
});

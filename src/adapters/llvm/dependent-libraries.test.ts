import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { libraryFlags } from "../framework/library-name.js";
import { readDependentLibraries, withDependentLibraries } from "./dependent-libraries.js";

const MODULE = `; ModuleID = 'a.c'
target triple = "x86_64-pc-linux-gnu"

define dso_local i32 @main() #0 {
  %1 = load i32, i32* @g, align 4, !tbaa !3
  ret i32 %1
}

@g = dso_local global i32 0, align 4

!llvm.module.flags = !{!0, !1}
!llvm.ident = !{!2}

!0 = !{i32 1, !"wchar_size", i32 4}
!1 = !{i32 7, !"PIC Level", i32 2}
!2 = !{!"Debian clang version 14.0.6"}
!3 = !{!4, !4, i64 0}
!4 = !{!"int", !5, i64 0}
!5 = !{!"Simple C/C++ TBAA"}
`;

/** What clang writes for `#pragma comment(lib, "m")` and `#pragma comment(lib, "z\"q")`. */
const CLANG_STYLE = `!llvm.dependent-libraries = !{!0, !1}
!llvm.module.flags = !{!2}

!0 = !{!"m"}
!1 = !{!"z\\22q"}
!2 = !{i32 1, !"wchar_size", i32 4}
`;

const dir = mkdtempSync(join(tmpdir(), "opm-deplibs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readDependentLibraries", () => {
  it("reads clang's named metadata, unescaping names, in order and without duplicates", () => {
    expect(readDependentLibraries(CLANG_STYLE)).toEqual(["m", 'z"q']);
    expect(readDependentLibraries("!llvm.dependent-libraries = !{!0, !1, !2}\n!0 = !{!\"m\"}\n!1 = !{!\"pthread\"}\n!2 = !{!\"m\"}\n")).toEqual(["m", "pthread"]);
  });

  it("is empty for a module without the metadata (or with other metadata only)", () => {
    expect(readDependentLibraries(MODULE)).toEqual([]);
    expect(readDependentLibraries("")).toEqual([]);
  });

  it("reads what clang emits for #pragma comment(lib), through llvm-link", () => {
    writeFileSync(join(dir, "a.c"), '#pragma comment(lib, "m")\n#include <math.h>\ndouble f(double x) { return pow(x, 1.5); }\n');
    writeFileSync(join(dir, "b.c"), '#pragma comment(lib, "m")\n#pragma comment(lib, "rt")\nint main(void) { return 0; }\n');
    for (const f of ["a", "b"]) execFileSync("clang", ["-Oz", "-Xclang", "-disable-llvm-passes", "-emit-llvm", "-S", `${f}.c`, "-o", `${f}.ll`], { cwd: dir });
    const linked = execFileSync("llvm-link", ["-S", "a.ll", "b.ll"], { cwd: dir, encoding: "utf8" });
    expect(readDependentLibraries(linked)).toEqual(["m", "rt"]);
  });
});

describe("withDependentLibraries", () => {
  it("adds the named metadata with fresh ids, and opt accepts and keeps it", () => {
    const text = withDependentLibraries(MODULE, ["m", "pthread"]);
    expect(text.startsWith(MODULE)).toBe(true);
    expect(text).toContain("!llvm.dependent-libraries = !{!6, !7}\n!6 = !{!\"m\"}\n!7 = !{!\"pthread\"}\n");
    expect(readDependentLibraries(text)).toEqual(["m", "pthread"]);
    writeFileSync(join(dir, "with.ll"), text);
    const out = execFileSync("opt", ["-S", "with.ll"], { cwd: dir, encoding: "utf8" });
    expect(readDependentLibraries(out)).toEqual(["m", "pthread"]);
  });

  it("merges into an existing list, adding only what is missing", () => {
    const text = withDependentLibraries(CLANG_STYLE, ["m", "dl", "dl"]);
    expect(readDependentLibraries(text)).toEqual(["m", 'z"q', "dl"]);
    expect(text).toMatch(/^!llvm\.dependent-libraries = !\{!0, !1, !3\}$/m);
    expect(text).toMatch(/^!3 = !\{!"dl"\}$/m);
    expect(withDependentLibraries(CLANG_STYLE, ["m"])).toBe(CLANG_STYLE);
    expect(withDependentLibraries(MODULE, [])).toBe(MODULE);
  });

  it("is read back by the linker's view: llvm-link keeps the merged list", () => {
    writeFileSync(join(dir, "x.ll"), withDependentLibraries(MODULE, ["m"]));
    writeFileSync(join(dir, "y.ll"), withDependentLibraries('target triple = "x86_64-pc-linux-gnu"\n', ["m", "rt"]));
    const linked = execFileSync("llvm-link", ["-S", "x.ll", "y.ll"], { cwd: dir, encoding: "utf8" });
    expect(readDependentLibraries(linked)).toEqual(["m", "rt"]);
  });

  it("refuses names that are not plain library names", () => {
    expect(() => withDependentLibraries(MODULE, [":/tmp/evil.so"])).toThrow(/not a library name/);
    expect(() => libraryFlags(["-fplugin=x"])).toThrow(/not a library name/);
    expect(libraryFlags(["m", "stdc++"])).toEqual(["-lm", "-lstdc++"]);
  });
});

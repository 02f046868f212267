import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { withWorkDir } from "../framework/work-dir.js";
import { rejection } from "../../../test/support/rejection.js";
import { CLANG_WASM_FLAGS, cCompileError, compileCToWasm, compileProgramToWasm, findClang, wasiLibraries, type CWasmUnit } from "./compile-c-to-wasm.js";

const clang = findClang();
const dir = mkdtempSync(join(tmpdir(), "opm-c2wasm-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}
const unit = (path: string, ...args: string[]): CWasmUnit => ({ path, args });
const compile = (units: CWasmUnit[], libraries: string[] = [], sysroot?: string) =>
  withWorkDir("opm-c2wasm-", (workDir) => compileProgramToWasm(units, libraries, { clang, workDir, timeoutMs: 60_000, ...(sysroot ? { sysroot } : {}) }));
const result = (stderr: string) => ({ stderr: Buffer.from(stderr), exitCode: 1, signal: null });

const lib = write("lib/lib.c", "#include \"lib.h\"\nint twice(int x) { return x * FACTOR; }\n");
write("lib/include/lib.h", "int twice(int x);\n");
const app = write("app/app.c", "#include <stdio.h>\n#include \"lib.h\"\nint main(void) { printf(\"%d\\n\", twice(21)); return 0; }\n");
const include = `-I${join(dir, "lib/include")}`;

describe("compileProgramToWasm", () => {
  it("compiles one C file without libraries exactly as `clang <CLANG_WASM_FLAGS>` does (unchanged bytes and digest)", async () => {
    const single = write("single/one.c", "int f(int x) { return x + 1; }\n");
    const bytes = await compile([unit(single)]);
    const out = join(dir, "single/by-hand.o");
    execFileSync(clang, [...CLANG_WASM_FLAGS, "one.c", "-o", out], { cwd: join(dir, "single") });
    expect(Buffer.compare(bytes, readFileSync(out))).toBe(0);
    expect(Buffer.compare(bytes, await withWorkDir("opm-c2wasm-", (workDir) => compileCToWasm(single, { clang, workDir, timeoutMs: 60_000 })))).toBe(0);
  });

  it("links several files, each with its own flags, into one deterministic wasm object without paths", async () => {
    const units = [unit(app, include), unit(lib, include, "-DFACTOR=2")];
    const [a, b] = [await compile(units, ["m"]), await compile(units, ["m"])];
    expect(a.subarray(0, 4).toString("latin1")).toBe("\0asm");
    expect(Buffer.compare(a, b)).toBe(0);
    const text = a.toString("latin1");
    for (const symbol of ["twice", "main"]) expect(text).toContain(symbol);
    expect(text).not.toContain(dir);
    expect(text).not.toContain("unit-");
    expect(text).toContain("printf"); // libc stays an import
  });

  it("says which file does not compile and clang's first error, not a wasi-libc problem", async () => {
    const bad = write("bad/bad.c", "int f(int x) { return x +; }\n");
    const e = await rejection(compile([unit(app, include), unit(bad)]));
    expect([e.code, e.field]).toEqual(["compiler_failed", "files"]);
    expect(e.message).toContain(`\`${bad}\` does not compile for wasm32-wasi`);
    expect(e.message).toContain("bad.c:1:26: error: expected expression");
    expect(e.message).not.toContain("wasi-libc");
    // a missing -D is the program's error too
    const noDefine = await rejection(compile([unit(lib, include)], ["m"]));
    expect(noDefine.message).toContain(`\`${lib}\` does not compile`);
    expect(noDefine.message).toContain("use of undeclared identifier 'FACTOR'");
  });

  it("refuses a library wasi-libc does not have, naming it", async () => {
    const e = await rejection(compile([unit(app, include), unit(lib, include, "-DFACTOR=2")], ["m", "z"]));
    expect([e.code, e.field]).toEqual(["invalid_argument", "libraries"]);
    expect(e.message).toContain("the Cranelift toolchain compiles C to wasm32-wasi; library `z` is not in wasi-libc");
  });

  it("checks the link: an undefined or duplicate symbol names the source file", async () => {
    const e = await rejection(compile([unit(app, include)], ["m"]));
    expect(e.code).toBe("compiler_failed");
    expect(e.message).toContain("the program does not link for wasm32-wasi against wasi-libc and -lm");
    expect(e.message).toContain(`${app}: undefined symbol: twice`);
    const dup = write("dup/dup.c", "int twice(int x) { return x; }\n");
    const d = await rejection(compile([unit(app, include), unit(lib, include, "-DFACTOR=2"), unit(dup)]));
    expect(d.message).toMatch(/duplicate symbol: twice/);
    expect(d.message).toContain(dup);
  });
});

describe("wasiLibraries", () => {
  it("lists wasi-libc's archives: libc, and an (empty) libm — the math functions live in libc", () => {
    expect(wasiLibraries()).toEqual(expect.arrayContaining(["c", "m"]));
    expect(wasiLibraries()).not.toContain("z");
  });

  it("is tool_missing without wasi-libc", () => {
    expect(() => wasiLibraries(join(dir, "no-sysroot"))).toThrow(/wasi-libc is not installed.*`wasi-libc`/);
  });
});

describe("cCompileError", () => {
  it("is the program's error when the sysroot is there", () => {
    const e = cCompileError("/src/a.c", result("In file included from a.c:1:\nb.h:2:3: error: unknown type name 'foo'\n  foo x;\n  ^\n1 error generated.\n"));
    expect([e.code, e.field]).toEqual(["compiler_failed", "files"]);
    expect(e.message).toBe("`/src/a.c` does not compile for wasm32-wasi (clang exit 1): b.h:2:3: error: unknown type name 'foo'");
    expect(e.detail).toContain("1 error generated.");
  });

  it("names a header wasi-libc lacks when clang fell back to the host's /usr/include", () => {
    const e = cCompileError("/src/ldo.c", result("/usr/include/setjmp.h:29:10: fatal error: 'bits/setjmp.h' file not found\n"));
    expect(e.code).toBe("compiler_failed");
    expect(e.message).toContain("wasi-libc has no `setjmp.h`");
  });

  it("blames wasi-libc only when its headers are missing and a header is what failed", () => {
    const missing = join(dir, "empty-sysroot");
    const e = cCompileError("/src/a.c", result("a.c:1:10: fatal error: 'stdio.h' file not found\n"), missing);
    expect(e.code).toBe("tool_missing");
    expect(e.message).toContain("wasi-libc is not installed");
    expect(e.message).toContain("a.c:1:10: fatal error: 'stdio.h' file not found");
    const syntax = cCompileError("/src/a.c", result("a.c:1:26: error: expected expression\n"), missing);
    expect(syntax.code).toBe("compiler_failed");
  });

  it("keeps the first three errors and counts the rest", () => {
    const stderr = [1, 2, 3, 4, 5].map((i) => `a.c:${i}:1: error: e${i}`).join("\n");
    expect(cCompileError("/a.c", result(stderr)).message).toMatch(/e1; a\.c:2:1: error: e2; a\.c:3:1: error: e3; and 2 more error\(s\)$/);
  });

  it("with a real clang and an empty sysroot, a libc include is tool_missing naming wasi-libc", async () => {
    const uses = write("uses-stdio/main.c", "#include <stdint.h>\n#include <stdio.h>\nint main(void) { return puts(\"x\"); }\n");
    const e = await rejection(compile([unit(uses)], [], join(dir, "empty-sysroot")));
    expect(e.code).toBe("tool_missing");
    expect(e.message).toContain("install the Debian package `wasi-libc`");
  });
});

/**
 * Programs as people build them, through the real CLI (`opm optimize`, embedded registry,
 * local adapters, real compilers): a directory with local headers in `include/`, the same
 * program as a compile_commands.json, and — for LLVM — as bitcode files; the program calls
 * libm on a value known only at run time, so every build must link `-lm`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const OPM = fileURLToPath(new URL("../bin/opm.js", import.meta.url));
let root: string;
let project: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "opm-multifile-"));
  project = join(root, "project");
  mkdirSync(join(project, "src"), { recursive: true });
  mkdirSync(join(project, "include"));
  writeFileSync(join(project, "include", "stats.h"), "#define SCALE 3\ndouble spread(const double *xs, int n);\nint clamp(int x, int lo, int hi);\n");
  writeFileSync(join(project, "src", "stats.c"), [
    "#include <math.h>",
    '#include "stats.h"',
    "double spread(const double *xs, int n) {",
    "  double mean = 0, var = 0;",
    "  for (int i = 0; i < n; i++) mean += xs[i];",
    "  mean /= n;",
    "  for (int i = 0; i < n; i++) var += pow(xs[i] - mean, 2.0);",
    "  return sqrt(var / n) * SCALE;",
    "}",
    "int clamp(int x, int lo, int hi) { return x < lo ? lo : x > hi ? hi : x; }",
    "",
  ].join("\n"));
  writeFileSync(join(project, "src", "main.c"), [
    "#include <stdio.h>",
    '#include "stats.h"',
    "int main(int argc, char **argv) {",
    "  (void)argv;",
    "  double xs[16];",
    "  for (int i = 0; i < 16; i++) xs[i] = (i * 7 + argc) % 11;",
    '  printf("%.6f %d\\n", spread(xs, 16), clamp(argc * 50, 0, 99));',
    "  return 0;",
    "}",
    "",
  ].join("\n"));
  writeFileSync(join(project, "compile_commands.json"), JSON.stringify(["main.c", "stats.c"].map((f) => ({
    directory: project, file: `src/${f}`, arguments: ["cc", "-Iinclude", "-O2", "-c", `src/${f}`, "-o", `${f}.o`, "-lm"],
  }))));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `opm optimize ARGS --json`: the exit code and the result document (or the error document). */
function optimize(args: string[]): { status: number | null; result: Record<string, unknown>; stderr: string } {
  const r = spawnSync(process.execPath, [OPM, "optimize", ...args, "--json", "--max-evals", "4", "--adapters", "1"], { encoding: "utf8", timeout: 240_000 });
  const last = r.stdout.trim().split("\n").at(-1) ?? "{}";
  return { status: r.status, result: JSON.parse(last) as Record<string, unknown>, stderr: r.stderr };
}

/** Every evaluation verified (so every build linked -lm), and every reported result reproduced locally. */
function expectVerified(run: ReturnType<typeof optimize>): void {
  expect(run.status, run.stderr).toBe(0);
  expect(run.result["evaluations"]).toBe(4);
  expect(run.result["failuresByReason"], JSON.stringify(run.result["firstFailureMessages"])).toEqual({});
  expect(run.result["unreproduced"]).toEqual([]);
  expect(run.result["best"] as number).toBeLessThanOrEqual(run.result["baseline"] as number);
}

describe("opm optimize on a multi-file program", () => {
  it("llvm: a directory (--lib m), its compile_commands.json and its bitcode files give the same problem", () => {
    const fromDir = optimize([project, "--compiler", "llvm", "--lib", "m"]);
    expectVerified(fromDir);
    const fromDb = optimize([join(project, "compile_commands.json"), "--compiler", "llvm"]);
    expectVerified(fromDb);
    expect(fromDb.result["inputDigest"]).toBe(fromDir.result["inputDigest"]);
    const bitcode = ["main", "stats"].map((name) => {
      const out = join(root, `${name}.bc`);
      execFileSync("clang", ["-Oz", "-Xclang", "-disable-llvm-passes", "-emit-llvm", "-c", `-I${join(project, "include")}`, join(project, "src", `${name}.c`), "-o", out]);
      return out;
    });
    const fromBc = optimize([...bitcode, "--compiler", "llvm", "--lib", "m"]);
    expectVerified(fromBc);
    expect(fromBc.result["baseline"]).toBe(fromDir.result["baseline"]);
  }, 300_000);

  it("gcc: each translation unit compiled with the plan, the linked program checked", () => {
    const run = optimize([join(project, "compile_commands.json"), "--compiler", "gcc", "--strategy", "screen"]);
    expectVerified(run);
    expect(run.result["unit"]).toBe("bytes of .text");
  }, 300_000);

  it("cranelift: the files linked into one wasm module", () => {
    expectVerified(optimize([project, "--compiler", "cranelift", "--lib", "m"]));
  }, 300_000);

  it("refuses what a compiler cannot take, and a missing header, with a clear error and exit 2 or 1", () => {
    const noInclude = optimize([join(project, "src", "main.c"), join(project, "src", "stats.c"), "--compiler", "llvm"]);
    expect(noInclude.status).toBe(1);
    expect(JSON.stringify(noInclude.result)).toMatch(/stats\.h/);
    const irToGcc = optimize([join(root, "main.bc"), "--compiler", "gcc"]);
    expect(irToGcc.status).toBe(2);
    expect(JSON.stringify(irToGcc.result)).toMatch(/C only/);
    const badLib = optimize([project, "--compiler", "llvm", "--lib", "m;x"]);
    expect(badLib.status).toBe(2);
    expect(JSON.stringify(badLib.result)).toMatch(/is not a library name `-l` takes/);
  }, 120_000);
});

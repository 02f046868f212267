/**
 * Cranelift on programs of several C files: each file compiled to a wasm32-wasi object
 * with its own flags, linked into one module (`wasm-ld -r`), then evaluated and verified
 * as any Cranelift problem — the semantics layer runs the functions of every file in the
 * driver's sandbox. Also the real programs of bench/corpus/real/ that build for WASI.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { realPrograms } from "../bench/corpus/index.js";
import { CraneliftToolchain } from "../src/adapters/cranelift/index.js";
import { readProgramSource } from "../src/adapters/framework/program-source.js";
import type { PreparedProblem } from "../src/adapters/framework/toolchain.js";
import type { Plan } from "../src/kernel/plan/index.js";
import { rejection } from "./support/rejection.js";

const cranelift = new CraneliftToolchain();
let dir: string;
let baselinePlan: Plan;
let otherPlan: Plan;

const GEO_H = `#ifndef GEO_H
#define GEO_H
double hypotenuse(double a, double b);
int scale(int x);
void scale_all(int *values, int n);
#endif
`;
const GEO_C = `#include <math.h>
#include "geo.h"
#ifndef SCALE
#error "SCALE must be defined (-DSCALE=N)"
#endif
double hypotenuse(double a, double b) { return sqrt(a * a + b * b); }
int scale(int x) { return x * SCALE + 1; }
void scale_all(int *values, int n) { for (int i = 0; i < n && i < 8; i++) values[i] = scale(values[i]); }
`;
const MAIN_C = `#include <stdio.h>
#include "geo.h"
static int table[8] = {3, 1, 4, 1, 5, 9, 2, 6};
int weighted_sum(int n) {
  int s = 0;
  for (int i = 0; i < n; i++) s += scale(table[i & 7]) * (i + 1);
  return s;
}
int clamp(int x, int lo, int hi) { return x < lo ? lo : x > hi ? hi : x; }
int main(void) {
  scale_all(table, 8);
  printf("%d %.3f %d\\n", weighted_sum(20), hypotenuse(3.0, 4.0), clamp(weighted_sum(3), 0, 100));
  return 0;
}
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "opm-cranelift-multifile-"));
  mkdirSync(join(dir, "include"));
  writeFileSync(join(dir, "include", "geo.h"), GEO_H);
  writeFileSync(join(dir, "geo.c"), GEO_C);
  writeFileSync(join(dir, "main.c"), MAIN_C);
  // Each file its own flags: only geo.c gets -DSCALE.
  const entry = (file: string, ...flags: string[]) => ({ directory: ".", file, arguments: ["cc", "-Iinclude", ...flags, "-c", file, "-o", `${file}.o`] });
  writeFileSync(join(dir, "compile_commands.json"), JSON.stringify([entry("geo.c", "-DSCALE=3"), entry("main.c")]));
  const space = cranelift.searchSpace(await cranelift.catalog(), "code-size", 4);
  baselinePlan = { steps: [...space.prefix] };
  const move = (name: string) => space.moves.find((m) => m.pass === name)!;
  otherPlan = { steps: [...space.prefix, move("egraph_pass"), move("is_pic")] };
});
afterAll(async () => {
  await cranelift.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Evaluates `plan` and verifies it as the adapter would; returns the semantics evidence. */
async function evaluateAndVerify(problem: PreparedProblem, plan: Plan): Promise<string> {
  const measured = await cranelift.evaluate(problem.input, plan, "code-size");
  expect(measured.value).toBeGreaterThan(0);
  const verdict = await cranelift.verifyEvaluation({ input: problem.input, plan, objective: "code-size", measured }, new Map());
  expect(verdict.ok, JSON.stringify(verdict.layers)).toBe(true);
  expect(verdict.decided).toBe(true);
  expect(verdict.layers.map((l) => [l.name, l.ok])).toEqual([["well-formed", true], ["semantics", true], ["metric", true]]);
  return verdict.layers.find((l) => l.name === "semantics")!.evidence;
}

describe("Cranelift on a two-file C program (include dir, per-file -D, sqrt with -lm)", () => {
  let problem: PreparedProblem;

  it("prepares one wasm module holding the functions of both files", async () => {
    const program = readProgramSource([dir], { libraries: ["m"] });
    expect(program.files.map((f) => f.args)).toEqual([[`-I${join(dir, "include")}`, "-DSCALE=3"], [`-I${join(dir, "include")}`]]);
    problem = await cranelift.prepare(program, "code-size");
    expect(problem.input.format).toBe("wasm");
    expect(problem.features["clif.functions"]).toBeGreaterThanOrEqual(6);
    expect(problem.baseline.value).toBeGreaterThan(0);
    // deterministic, and the same module whatever the folder's scan gives main.c too
    const again = await cranelift.prepare(readProgramSource([join(dir, "geo.c"), join(dir, "main.c")], { cflags: [`-I${join(dir, "include")}`, "-DSCALE=3"], libraries: ["m"] }), "code-size");
    expect(again.digest).toBe(problem.digest);
  });

  it("evaluates the baseline and another plan, both verified: well-formed, semantics (functions of both files), metric", async () => {
    const baseline = await evaluateAndVerify(problem, baselinePlan);
    const other = await evaluateAndVerify(problem, otherPlan);
    for (const evidence of [baseline, other]) {
      const compared = /; compared: ([^;]*)/.exec(evidence)?.[1] ?? "";
      for (const fn of ["hypotenuse", "scale", "scale_all"]) expect(compared.split(", "), `geo.c's ${fn}: ${evidence}`).toContain(fn);
      for (const fn of ["weighted_sum", "clamp"]) expect(compared.split(", "), `main.c's ${fn}: ${evidence}`).toContain(fn);
    }
    expect((await cranelift.evaluate(problem.input, otherPlan, "code-size")).outputDigest).not.toBe(problem.baseline.outputDigest);
  });

  it("without geo.c's -D the program's own #error is reported, naming the file", async () => {
    const e = await rejection(cranelift.prepare(readProgramSource([join(dir, "geo.c"), join(dir, "main.c")], { cflags: [`-I${join(dir, "include")}`] }), "code-size"));
    expect(e.code).toBe("compiler_failed");
    expect(e.message).toContain(`\`${join(dir, "geo.c")}\` does not compile for wasm32-wasi`);
    expect(e.message).toContain("SCALE must be defined");
    expect(e.message).not.toContain("install");
  });

  it("refuses a library wasi-libc does not have", async () => {
    const e = await rejection(cranelift.prepare(readProgramSource([dir], { libraries: ["m", "z"] }), "code-size"));
    expect(e.code).toBe("invalid_argument");
    expect(e.message).toContain("library `z` is not in wasi-libc");
  });
});

/**
 * The real programs: zlib and bzip2 build for wasm32-wasi as they are. xz and lua do not:
 * their sources include <signal.h> (xz's mythread.h, lua's lstate.h), which wasi-libc
 * refuses without `-D_WASI_EMULATED_SIGNAL`, and lua needs setjmp/longjmp, which
 * wasi-libc does not have — prepare says so, naming the file and clang's error.
 */
const real = new Map(realPrograms().map((p) => [p.name, p]));
const BUILDS_FOR_WASI = ["bzip2", "zlib"].filter((name) => real.has(name));
const DOES_NOT_BUILD = [["xz", "wasm lacks signal support"], ["lua", "wasm lacks signal support"]].filter(([name]) => real.has(name!));

describe.skipIf(BUILDS_FOR_WASI.length === 0)("Cranelift on real programs that build for wasm32-wasi", () => {
  it.each(BUILDS_FOR_WASI)("%s: prepare from its compile_commands.json, evaluate and verify the baseline", async (name) => {
    const p = real.get(name)!;
    const problem = await cranelift.prepare(readProgramSource([p.dir], { libraries: [...p.libs] }), "code-size");
    expect(problem.features["clif.functions"]).toBeGreaterThan(50);
    const evidence = await evaluateAndVerify(problem, baselinePlan);
    const [compared, total] = /^(\d+) of (\d+) function/.exec(evidence)!.slice(1).map(Number);
    expect(compared! / total!, evidence).toBeGreaterThan(0.8);
  }, 60_000);
});

describe.skipIf(DOES_NOT_BUILD.length === 0)("Cranelift on real programs that do not build for wasm32-wasi", () => {
  it.each(DOES_NOT_BUILD)("%s: prepare names the file and clang's error", async (name, text) => {
    const p = real.get(name!)!;
    const e = await rejection(cranelift.prepare(readProgramSource([p.dir], { libraries: [...p.libs] }), "code-size"));
    expect(e.code).toBe("compiler_failed");
    expect(e.message).toMatch(new RegExp(`^\`${p.dir}/\\S+\\.c\` does not compile for wasm32-wasi`));
    expect(e.message).toContain(text);
  }, 60_000);
});

/**
 * Honest verification for GCC (issue 13): the semantics layer passes only when the runs
 * entered every function AFTER defines that the program can run; otherwise it is undecided
 * and names what they did not exercise.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunSpec } from "../../kernel/plan/index.js";
import { verifyTransform } from "../framework/toolchains.js";
import type { Verdict, VerifyRequest } from "../verifier/verdict.js";
import { GccToolchain } from "./gcc-toolchain.js";

const dir = mkdtempSync(join(tmpdir(), "opm-verify-gcc-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `unused`: main never calls it. `maybe`: main calls it only when argv[1] is given. */
const SOURCE = `#include <stdio.h>
#include <string.h>
static int helper(int x) { return x * 3; }
int unused(int x) { return helper(x) + 7; }
int maybe(int x) { return x * x + 1; }
int main(int argc, char **argv) {
  printf("%d\\n", helper(argc));
  if (argc > 1) printf("%d\\n", maybe((int)strlen(argv[1]) + 4));
  return 0;
}
`;

const withArgument: RunSpec = { name: "r", args: ["x"], stdin: new Uint8Array(), files: [], env: {}, compare: ["exit", "stdout", "files"] };

/** `gcc <options> -c` of `source`, as BEFORE and AFTER paths. */
function build(name: string, source: string, options: string[]): { c: string; o: string } {
  const c = join(dir, `${name}.c`);
  const o = join(dir, `${name}.o`);
  writeFileSync(c, source);
  execFileSync("gcc", [...options, "-c", c, "-o", o]);
  return { c, o };
}

const semantics = (v: Verdict) => v.layers.find((l) => l.name === "semantics")!;
const layers = (v: Verdict) => JSON.stringify(v.layers, null, 1);

describe("GCC semantics must be earned", () => {
  const good = build("good", SOURCE, ["-O2"]);
  const request = (after: string, more: Partial<VerifyRequest> = {}): VerifyRequest =>
    ({ compiler: "gcc", before: { path: good.c }, after: { path: after }, planOptions: ["-O2"], ...more });

  it("is undecided when no run enters a function main calls only with an argument; the unreachable one is not required", async () => {
    const v = await verifyTransform(request(good.o));
    expect(v.ok).toBe(false);
    expect(v.decided, layers(v)).toBe(false);
    const s = semantics(v);
    expect(s).toMatchObject({ ok: false, decided: false });
    expect(s.evidence).toMatch(/\(\+1 it never calls\)/);
    expect(s.evidence).toMatch(/not exercised: maybe \(no run entered it\)/);
    expect(s.evidence).not.toMatch(/not exercised:.*unused/);
  });

  it("passes with a run that gives argv[1]", async () => {
    const v = await verifyTransform(request(good.o, { runs: [withArgument] }));
    expect(v.ok, layers(v)).toBe(true);
    const s = semantics(v);
    expect(s.evidence).toMatch(/2 changed function\(s\) the program can run \(\+1 it never calls\): 2 entered by the runs/);
    expect(s.evidence).toMatch(/entered: main, maybe/);
    expect(s.evidence).toMatch(/profile-instrumented build of the same units/);
  });

  it("rejects a wrong `maybe` with the run, and never accepts it without one", async () => {
    const wrong = build("wrong", SOURCE.replace("x * x + 1", "x * x + 2"), ["-O2"]);
    const rejected = await verifyTransform(request(wrong.o, { runs: [withArgument] }));
    expect(rejected.rejectedBy, layers(rejected)).toBe("semantics");
    expect(semantics(rejected).evidence).toMatch(/on run r: stdout differs/);
    const unexercised = await verifyTransform(request(wrong.o));
    expect(unexercised.ok).toBe(false);
    expect(unexercised.decided).toBe(false);
    expect(semantics(unexercised).evidence).toMatch(/not exercised: maybe/);
  });

  it("accepts a smaller share of changed bytes when the request requires less", async () => {
    const v = await verifyTransform(request(good.o, { requiredCoverage: 0.5 }));
    expect(v.ok, layers(v)).toBe(true);
    expect(semantics(v).evidence).toMatch(/1 not exercised; [\d.]+ % of changed instructions in covered functions \(blocks not traced\); required: 50\.0 % of changed instructions; entered: main; not exercised: maybe/);
  });

  it("is undecided, saying why, when clang cannot compile the program (a GCC-only extension)", async () => {
    const nested = build("nested", "int main(void) { int k = 3; int add(int x) { return x + k; } return add(1) - 4; }\n", ["-O2"]);
    const v = await verifyTransform({ compiler: "gcc", before: { path: nested.c }, after: { path: nested.o }, planOptions: ["-O2"] });
    expect(v.layers.map((l) => [l.name, l.ok])).toEqual([["well-formed", true], ["interface", true], ["semantics", false]]);
    expect(semantics(v).decided).toBe(false);
    expect(semantics(v).evidence).toMatch(/undecided: the runs agree, but which functions they entered is unknown \(clang cannot compile `before\.c`/);
  });
});

describe("GCC semantics on a bundle: each unit's statics apart", () => {
  it("names the static of the unit no run entered, and passes once a run enters it", async () => {
    const root = join(dir, "bundle");
    mkdirSync(join(root, "src"), { recursive: true });
    writeFileSync(join(root, "src", "main.c"), [
      "#include <stdio.h>",
      "int fromb(int);",
      "static int helper(int x) { return x + 1; }",
      "int main(int argc, char **argv) { (void)argv; printf(\"%d\\n\", helper(argc)); if (argc > 1) printf(\"%d\\n\", fromb(argc)); return 0; }",
      "",
    ].join("\n"));
    writeFileSync(join(root, "src", "b.c"), "static int helper(int x) { return x - 1; }\nint fromb(int x) { return helper(x) * 5; }\n");
    const gcc = new GccToolchain({ cacheDir: join(dir, "cache") });
    const problem = await gcc.prepare({ files: ["main.c", "b.c"].map((f) => ({ path: join(root, "src", f), kind: "c" as const, args: [] })), libraries: [] }, "text-size");
    const plan = { steps: [{ pass: "-O1" }, { pass: "-fno-inline" }] };
    const m = await gcc.evaluate(problem.input, plan, "text-size");
    const cache = new Map<string, unknown>();
    const without = await gcc.verifyEvaluation({ input: problem.input, plan, objective: "text-size", measured: m }, cache);
    expect(without.decided, layers(without)).toBe(false);
    const s = semantics(without).evidence;
    expect(s).toMatch(/2 entered by the runs, 0 completed by direct tests, 2 not exercised/);
    expect(s).toMatch(/entered: (main\.c:helper, main|main, main\.c:helper);/);
    expect(s).toMatch(/not exercised: fromb \(no run entered it\), b\.c:helper \(no run entered it\)/);
    const ran = await gcc.verifyEvaluation({ input: { ...problem.input, runs: [withArgument] }, plan, objective: "text-size", measured: m }, cache);
    expect(ran.ok, layers(ran)).toBe(true);
    expect(semantics(ran).evidence).toMatch(/4 changed function\(s\) the program can run: 4 entered by the runs/);
  });
});

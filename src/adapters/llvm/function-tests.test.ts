import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLANG_IR_FLAGS } from "./compile-c-to-ir.js";
import { findLlvmTools } from "./find-llvm-tools.js";
import { testFunctions, type FunctionTestOptions, type FunctionTestResult } from "./function-tests.js";

const dir = mkdtempSync(join(tmpdir(), "opm-function-tests-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tools = findLlvmTools();

/** C → IR with the problem's exact flags. */
function irOf(name: string, source: string): string {
  writeFileSync(join(dir, `${name}.c`), source);
  execFileSync(tools.clang, [...CLANG_IR_FLAGS, `${name}.c`, "-o", `${name}.ll`], { cwd: dir });
  return readFileSync(join(dir, `${name}.ll`), "utf8");
}

function opt(ir: string, passes: string): string {
  return execFileSync(tools.opt, [`-passes=${passes}`, "-S", "-", "-o", "-"], { input: ir, encoding: "utf8", maxBuffer: 1 << 28 });
}

/** `ir` with the first match of `pattern` inside the body of `@fn` replaced: a hand-made miscompilation. */
function mutate(ir: string, fn: string, pattern: RegExp, replacement: string): string {
  const start = ir.search(new RegExp(`^define [^\\n]*@${fn}\\(`, "m"));
  const end = ir.indexOf("\n}\n", start);
  expect(start, `@${fn} is defined`).toBeGreaterThanOrEqual(0);
  const body = ir.slice(start, end);
  const changed = body.replace(pattern, replacement);
  expect(changed, `${pattern} occurs in @${fn}`).not.toBe(body);
  return ir.slice(0, start) + changed + ir.slice(end);
}

const run = (before: string, after: string, functions: string[], more: Partial<FunctionTestOptions> = {}): Promise<FunctionTestResult> =>
  testFunctions({ before, after, functions, clang: tools.clang, buildFlags: [], ...more });

const PROGRAM = `#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int affine(int a, int b) { return a * 3 + b; }
double scale(double x, float y) { return x * y + 0.5; }
unsigned char low(long v, _Bool flip) { return flip ? (unsigned char)~v : (unsigned char)v; }
void fill(int *p, int n) { for (int i = 0; i < n && i < 64; i++) p[i] = i * 2; }
char *find(char *s, int c) { return strchr(s, c); }
int first(int *p) { return *p + 1; }
void label(const char **out, int n) { static int counter; *out = n > 0 ? "positive" : "other"; out[1] = (const char *)&counter; }
int overflows(int x) { return x + 1 > x; }

struct big { long x[8]; };
long takes_struct(struct big s) { return s.x[0] + s.x[7]; }
int sum(int n, ...) { va_list ap; va_start(ap, n); int s = 0; for (int i = 0; i < n; i++) s += va_arg(ap, int); va_end(ap); return s; }
struct pair { double a, b; };
struct pair both(double v) { struct pair p = { v, -v }; return p; }

static int helper(int x) { return x * x - 7; }
static __attribute__((noinline)) int twice(int x) { return 2 * x + 1; }
char *next(char *s) { return s + 1; }

int main(int argc, char **argv) {
  (void)argv;
  printf("%d %d\\n", helper(argc), twice(argc));
  return 0;
}
`;

describe("testFunctions", () => {
  const before = irOf("program", PROGRAM);

  it("(a) catches a changed result in a function main never calls, naming the function and the inputs", async () => {
    const after = mutate(before, "affine", /add nsw i32/, "sub nsw i32");
    const r = await run(before, after, ["affine"]);
    expect(r.disagreement, JSON.stringify(r)).toMatchObject({ fn: "affine", internal: false });
    expect(r.disagreement!.evidence).toMatch(/^@affine\(i32 -?\d+, i32 -?\d+\) \(call \d+ of 64\): reference returned -?\d+ \(0x[0-9a-f]+\), transformed returned -?\d+ \(0x[0-9a-f]+\)/);
    expect(r.agreed).toEqual([]);
  });

  it("(b) agrees with the same functions optimised by default<O2> (integers, floats, pointers in and out)", async () => {
    const after = opt(before, "default<O2>");
    const fns = ["affine", "scale", "low", "fill", "find", "first", "overflows", "label"];
    const r = await run(before, after, fns);
    expect(r.disagreement, JSON.stringify(r)).toBeUndefined();
    expect(r.agreed.sort()).toEqual([...fns].sort());
    expect(r.untestable).toEqual([]);
    expect(r.callsPerFunction).toBe(64);
  });

  it("reports a returned pointer relative to the argument's buffer, and floats by value", async () => {
    const pointer = await run(before, mutate(before, "next", /i64 1$/m, "i64 2"), ["next"]);
    expect(pointer.disagreement!.evidence).toMatch(/@next\(ptr → .*reference returned a pointer to argument 1's buffer \+1, transformed returned a pointer to argument 1's buffer \+2/);
    const float = await run(before, mutate(before, "scale", /5\.000000e-01/, "2.500000e-01"), ["scale"]);
    expect(float.disagreement!.evidence).toMatch(/^@scale\(double \S+, float \S+\) \(call 1 of 64\): reference returned \S+ \(0x[0-9a-f]+\), transformed returned/);
  });

  it("does not compare addresses of the program's image stored into a buffer (they move between builds)", async () => {
    // 3000 more instructions in AFTER move its string literals and globals to other addresses.
    const padding = Array.from({ length: 3000 }, (_, i) => `  %p${i + 1} = add i64 %p${i}, ${i}`).join("\n");
    const after = `${before}\ndefine i64 @padding(i64 %p0) {\n${padding}\n  ret i64 %p3000\n}\n`;
    const r = await run(before, after, ["label"]);
    expect(r, JSON.stringify(r)).toMatchObject({ agreed: ["label"], untestable: [] });
    // Such a word reads as a5…a5: null instead of an address is caught, another literal's address is not.
    const wrong = await run(before, mutate(before, "label", /i8\* getelementptr inbounds \(\[6 x i8\], \[6 x i8\]\* @\.str\.\d+, i64 0, i64 0\)/, "i8* null"), ["label"]);
    expect(wrong.disagreement?.evidence).toMatch(/^@label\(ptr → .*, i32 (0|-\d+)\).*buffer of argument 1 differs from byte 0: reference 0xa5, transformed 0x00/);
  });

  it("(c) says why a struct passed by value, a struct returned in registers and varargs are untestable", async () => {
    const r = await run(before, before, ["takes_struct", "sum", "both", "nowhere", "main"]);
    expect(r.agreed).toEqual([]);
    expect(Object.fromEntries(r.untestable.map((u) => [u.fn, u.why]))).toEqual({
      takes_struct: expect.stringMatching(/^signature not supported: parameter 1 is passed `byval`/),
      sum: expect.stringMatching(/^signature not supported: takes variable arguments/),
      both: expect.stringMatching(/^signature not supported: returns `\{double, double\}`/),
      nowhere: "not defined in BEFORE",
      main: expect.stringContaining("program's own runs"),
    });
  });

  it("(d) compares the memory a function writes through a pointer argument", async () => {
    const after = mutate(before, "fill", /(mul nsw i32 %\d+), 2/, "$1, 3");
    const r = await run(before, after, ["fill"]);
    expect(r.disagreement, JSON.stringify(r)).toMatchObject({ fn: "fill" });
    expect(r.disagreement!.evidence).toMatch(/@fill\(ptr → 256 (zero|pseudo-random) bytes.*, i32 \d+\).*after the call the buffer of argument 1 differs from byte \d+: reference 0x[0-9a-f]{2}, transformed 0x[0-9a-f]{2}/);
  });

  it("(e) tests a static function through its entry point, and flags a disagreement there as internal", async () => {
    const same = await run(before, opt(before, "instcombine,simplifycfg"), ["helper"]);
    expect(same).toMatchObject({ agreed: ["helper"], untestable: [] });
    const changed = await run(before, mutate(before, "helper", /sub nsw i32 (%\d+), 7/, "sub nsw i32 $1, 8"), ["helper"]);
    expect(changed.disagreement).toMatchObject({ fn: "helper", internal: true });
    expect(changed.disagreement!.evidence).toMatch(/reference returned (-?\d+) .*transformed returned .*@helper is internal in BEFORE/);
    // O2 keeps `twice` (noinline) but gives it LLVM's fast calling convention: the entry point calls it with that.
    const o2 = opt(before, "default<O2>");
    expect(o2).toMatch(/define internal fastcc i32 @twice\(/);
    expect(await run(before, o2, ["twice"])).toMatchObject({ agreed: ["twice"], untestable: [] });
    // Inlined into main and removed by O2: its caller is what is tested.
    const removed = await run(before, opt(before, "default<O2>"), ["helper"]);
    expect(removed.untestable).toEqual([{ fn: "helper", why: expect.stringMatching(/^not defined in AFTER/) }]);
  });

  it("(f) skips the calls on which the reference crashes (null pointers) instead of reporting them", async () => {
    const r = await run(before, opt(before, "default<O2>"), ["first"]);
    expect(r.disagreement).toBeUndefined();
    expect(r.agreed).toEqual(["first"]);
    expect(r.skipped).toEqual([{ fn: "first", calls: expect.any(Number), why: expect.stringMatching(/^the reference crashed \(SIGSEGV\) ×\d+$/) }]);
    // A function that crashes on every input cannot be tested at all.
    const always = irOf("crash", "int boom(int x) { return *(volatile int *)0 + x; }\nint main(void) { return 0; }\n");
    const none = await run(always, always, ["boom"], { calls: 8 });
    expect(none.untestable).toEqual([{ fn: "boom", why: "none of its 8 calls could be compared: the reference crashed (SIGSEGV) ×8" }]);
  });

  it("skips the calls on which the reference does not return in time (250 ms each)", async () => {
    // Odd n never reaches 0 at -O0; O2 may delete the loop (C's forward-progress rule).
    const spin = irOf("spin", "int spin(int n) { while (n != 0) n -= 2; return 1; }\nint main(void) { return 0; }\n");
    const r = await run(spin, opt(spin, "default<O2>"), ["spin"], { calls: 6, seed: 3 });
    expect(r.disagreement).toBeUndefined();
    expect(r.agreed).toEqual(["spin"]);
    expect(r.skipped).toEqual([{ fn: "spin", calls: expect.any(Number), why: expect.stringMatching(/^the reference timed out \(250 ms\) ×\d+$/) }]);
  });

  it("kills a call that blocks its timer, and still reports the others", async () => {
    const blocked = irOf("blocked", `#include <signal.h>
#include <unistd.h>
int wait_if(int n) { if (n & 1) { sigset_t s; sigemptyset(&s); sigaddset(&s, SIGALRM); sigprocmask(SIG_BLOCK, &s, 0); for (;;) pause(); } return n / 2; }
int main(void) { return 0; }
`);
    const r = await run(blocked, blocked, ["wait_if"], { calls: 4, seed: 5 });
    expect(r.agreed, JSON.stringify(r)).toEqual(["wait_if"]);
    expect(r.skipped[0]?.why).toMatch(/^the reference timed out \(250 ms\) ×\d+$/);
  });

  it("skips inputs whose result depends on undefined behaviour (signed overflow) rather than blaming the transform", async () => {
    // O2 folds `x + 1 > x` to true; at -O0, INT_MAX gives false.
    const r = await run(before, opt(before, "default<O2>"), ["overflows"], { calls: 256 });
    expect(r.disagreement).toBeUndefined();
    expect(r.skipped).toEqual([{ fn: "overflows", calls: expect.any(Number), why: expect.stringMatching(/undefined behaviour/) }]);
  });

  it("with a cache, builds BEFORE's harnesses once per function and still judges each new AFTER", async () => {
    // A clang that logs its module and level, and fails while `fail` exists.
    const log = join(dir, "clang.log");
    const fail = join(dir, "fail");
    const clang = join(dir, "logging-clang");
    writeFileSync(clang, `#!/bin/sh\nl=\nfor a in "$@"; do case "$a" in -O*|*.ll) l="$l$a ";; esac; done\necho "$l" >>'${log}'\n[ -e '${fail}' ] && exit 1\nexec '${tools.clang}' "$@"\n`);
    chmodSync(clang, 0o755);
    const builds = (): string[] => {
      const lines = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").map((l) => l.trim()).sort() : [];
      rmSync(log, { force: true });
      return lines;
    };
    const cache = new Map<string, unknown>();
    const same = await run(before, opt(before, "default<O2>"), ["affine"], { clang, cache });
    expect(same).toMatchObject({ agreed: ["affine"] });
    expect(builds()).toEqual(["-O0 before.ll", "-O0 after.ll", "-O2 before.ll"].sort());
    // Another AFTER: only its harness is built, and its disagreement is still found.
    const changed = await run(before, mutate(before, "affine", /add nsw i32/, "sub nsw i32"), ["affine"], { clang, cache });
    expect(changed.disagreement).toMatchObject({ fn: "affine" });
    expect(builds()).toEqual(["-O0 after.ll"]);
    // A new function is built alone; a failed build is not kept.
    writeFileSync(fail, "");
    await expect(run(before, before, ["fill", "affine"], { clang, cache })).rejects.toThrow(/does not build/);
    rmSync(fail);
    builds();
    expect(await run(before, before, ["affine", "fill"], { clang, cache })).toMatchObject({ agreed: ["affine", "fill"] });
    expect(builds()).toEqual(["-O0 before.ll", "-O0 after.ll", "-O2 before.ll"].sort());
    // Other settings are other references.
    await run(before, before, ["affine"], { clang, cache, seed: 2 });
    expect(builds()).toEqual(["-O0 before.ll", "-O0 after.ll", "-O2 before.ll"].sort());
  });
});

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rejection } from "../../../test/support/rejection.js";
import { decodeCBundle, writeCBundle } from "../framework/c-bundle.js";
import { textBytes } from "../framework/elf.js";
import type { ProgramSource } from "../framework/program-source.js";
import type { PreparedProblem } from "../framework/toolchain.js";
import { readArArchive } from "./ar-archive.js";
import { GccToolchain } from "./gcc-toolchain.js";

const dir = mkdtempSync(join(tmpdir(), "opm-gcc-bundle-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(root: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const root = write(join(dir, "prog"), {
  "main.c": '#include <stdio.h>\n#include "sum.h"\nint main(int argc, char **argv) { (void)argv; printf("%ld\\n", sum_to(100 * argc) + OFFSET); return 0; }\n',
  "sum.c": '#include "sum.h"\nlong sum_to(int n) { long s = 0; for (int i = 1; i <= n; i++) s += i; return s; }\nint table[64] = {1};\n',
  "sum.h": "long sum_to(int n);\n",
});
const program: ProgramSource = {
  files: ["main.c", "sum.c"].map((p) => ({ path: join(root, p), kind: "c" as const, args: ["-DOFFSET=3"] })),
  libraries: [],
};

const gcc = new GccToolchain({ cacheDir: join(dir, "cache") });
let problem: PreparedProblem;

beforeAll(async () => {
  problem = await gcc.prepare(program, "text-size");
});

describe("GccToolchain on a C bundle", () => {
  it("prepares a c-bundle with the units, their flags and the local header; features from clang", () => {
    expect(problem.input.format).toBe("c-bundle");
    const b = decodeCBundle(problem.input.bytes);
    expect(b.units).toEqual([{ path: "main.c", args: ["-DOFFSET=3"] }, { path: "sum.c", args: ["-DOFFSET=3"] }]);
    expect(b.files.map((f) => f.path)).toEqual(["main.c", "sum.c", "sum.h"]);
    expect(problem.features["autophase.TotalFuncs"]).toBeGreaterThanOrEqual(2);
    expect(problem.baseline.reproduction).toMatch(/-Os -DOFFSET=3 -c main\.c -o \.\.\/unit_0\.o && .* && cd \.\. && ar rcD output\.a unit_0\.o unit_1\.o && /);
  });

  it("measures the sum of the units' .text, outputs a deterministic archive and is reproduced by hand", async () => {
    const plan = { steps: [{ pass: "-O2" }, { pass: "-funroll-loops", value: "on" }] };
    const m = await gcc.evaluate(problem.input, plan, "text-size");
    const again = await gcc.evaluate(problem.input, plan, "text-size");
    expect(again.outputDigest).toBe(m.outputDigest);
    const members = readArArchive(m.output);
    expect(members.map((x) => x.name)).toEqual(["unit_0.o", "unit_1.o"]);
    expect(m.value).toBe(textBytes(members[0]!.bytes) + textBytes(members[1]!.bytes));
    const work = join(dir, "hand");
    await writeCBundle(decodeCBundle(problem.input.bytes), join(work, "root"));
    execFileSync("sh", ["-c", m.reproduction], { cwd: join(work, "root") });
    expect(readFileSync(join(work, "output.a")).equals(Buffer.from(m.output))).toBe(true);
    expect(textBytes(readFileSync(join(work, "program")))).toBe(m.metrics["code-size"]);
    expect(execFileSync(join(work, "program"), { encoding: "utf8" })).toBe("5053\n");
  });

  it("verifies an evaluation with four layers and refuses a forged archive", async () => {
    const plan = { steps: [{ pass: "-O2" }] };
    const m = await gcc.evaluate(problem.input, plan, "text-size");
    const cache = new Map<string, unknown>();
    const verdict = await gcc.verifyEvaluation({ input: problem.input, plan, objective: "text-size", measured: m }, cache);
    expect(verdict.ok, JSON.stringify(verdict.layers)).toBe(true);
    expect(verdict.layers.map((l) => l.name)).toEqual(["well-formed", "interface", "semantics", "metric"]);
    expect(verdict.layers[0]!.evidence).toMatch(/archive of 2 ELF relocatable object\(s\), one per unit; `gcc -O2 -fchecking -c` builds all 2 units cleanly/);
    expect(verdict.layers[1]!.evidence).toMatch(/same 3 global symbol\(s\) .* over 2 units/);
    const forged = (output: Uint8Array) => gcc.verifyEvaluation({ input: problem.input, plan, objective: "text-size", measured: { ...m, output, outputDigest: "0".repeat(64) } }, cache);
    const notArchive = await forged(readArArchive(m.output)[0]!.bytes);
    expect(notArchive.rejectedBy).toBe("well-formed");
    expect(notArchive.layers[0]!.evidence).toMatch(/not an ar archive/);
    const oneMember = Buffer.concat([Buffer.from(m.output).subarray(0, 8), arMember("unit_0.o", readArArchive(m.output)[0]!.bytes)]);
    expect((await forged(oneMember)).layers[0]!.evidence).toMatch(/members are \[unit_0\.o\]; a bundle of 2 unit\(s\) needs exactly \[unit_0\.o, unit_1\.o\]/);
    const lie = await gcc.verifyEvaluation({ input: problem.input, plan, objective: "text-size", measured: { ...m, value: m.value - 1 } }, cache);
    expect(lie.rejectedBy).toBe("metric");
  });

  it("names the unit gcc cannot compile, and refuses files that are not C", async () => {
    const broken = write(join(dir, "broken"), { "a.c": "int main(void) { return 0; }\n", "b.c": "int f(void) { return undeclared; }\n" });
    const e = await rejection(gcc.prepare({ files: ["a.c", "b.c"].map((p) => ({ path: join(broken, p), kind: "c" as const, args: [] })), libraries: [] }, "text-size"));
    expect(e.code).toBe("compiler_failed");
    expect(e.message).toMatch(/compile of `b\.c` \(unit 2 of 2\) failed/);
    expect(e.detail).toContain("undeclared");
    const ir = await rejection(gcc.prepare({ files: [{ path: join(broken, "x.ll"), kind: "llvm-ir", args: [] }], libraries: [] }, "text-size"));
    expect(ir.code).toBe("invalid_argument");
    expect(ir.message).toMatch(/GCC toolchain takes C only; `.*x\.ll` is llvm-ir/);
  });
});

describe("readArArchive", () => {
  it("refuses truncated and malformed archives, naming the offset", () => {
    const good = Buffer.concat([Buffer.from("!<arch>\n"), arMember("a.o", Buffer.from("abc"))]);
    expect(readArArchive(good)).toEqual([{ name: "a.o", bytes: Buffer.from("abc") }]);
    expect(() => readArArchive(good.subarray(0, 30))).toThrow(/truncated member header at offset 8/);
    expect(() => readArArchive(good.subarray(0, good.length - 3))).toThrow(/size 3 runs past the end/);
    const badSize = Buffer.from(good);
    badSize.write("-1        ", 8 + 48, "latin1");
    expect(() => readArArchive(badSize)).toThrow(/size "-1" is not a number/);
    expect(() => readArArchive(Buffer.concat([Buffer.from("!<arch>\n"), arMember("/99", Buffer.alloc(0), true)]))).toThrow(/long name \/99 has no entry/);
  });
});

/** One GNU ar member (header + data + padding); `raw`: the name field as given, without the closing `/`. */
function arMember(name: string, data: Uint8Array, raw = false): Buffer {
  const field = (s: string, n: number) => s.padEnd(n, " ");
  const header = `${field(raw ? name : `${name}/`, 16)}${field("0", 12)}${field("0", 6)}${field("0", 6)}${field("644", 8)}${field(String(data.length), 10)}\`\n`;
  return Buffer.concat([Buffer.from(header, "latin1"), data, Buffer.alloc(data.length % 2, "\n")]);
}

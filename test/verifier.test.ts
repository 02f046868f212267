import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runTool } from "../src/adapters/framework/run-tool.js";
import { findLlvmTools } from "../src/adapters/llvm/find-llvm-tools.js";
import { compileCToIr } from "../src/adapters/llvm/compile-c-to-ir.js";
import { corpusPrograms } from "../bench/corpus/index.js";
import { generateMutants, MUTATION_KINDS } from "../bench/mutation/mutate-ir.js";
import { main } from "../src/cli/main.js";
import { verifyTransform } from "../src/adapters/framework/toolchains.js";
import type { Verdict } from "../src/adapters/verifier/index.js";

const tools = findLlvmTools();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "opm-verifier-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function optimise(ir: string, level: string): Promise<string> {
  return runPasses(ir, `default<${level}>`);
}

async function runPasses(ir: string, passes: string): Promise<string> {
  const r = await runTool(tools.opt, [`-passes=${passes}`, "-S", "-", "-o", "-"], { stdin: ir, timeoutMs: 60_000 });
  expect(r.exitCode, r.stderr.toString()).toBe(0);
  return r.stdout.toString();
}

function layersOf(v: Verdict): string {
  return v.layers.map((l) => `${l.name}:${l.ok ? "ok" : l.decided === false ? "undecided" : "REJECT"} ${l.ok ? "" : l.evidence}`).join("\n");
}

describe("zero false alarms on legitimate -O levels (a sample of the corpus; the full corpus is bench/mutation)", () => {
  const sample = corpusPrograms().filter((p) => ["crc32", "quicksort"].includes(p.name));
  for (const program of sample) {
    it(`${program.name}: O1, O2, O3, Os, Oz all pass every layer`, async () => {
      const before = await compileCToIr([program.path], { clang: tools.clang, llvmLink: tools["llvm-link"], workDir: dir, timeoutMs: 60_000 });
      const cache = new Map<string, unknown>();
      const expected = await readFile(program.expectedOutputPath, "utf8");
      for (const level of ["O1", "O2", "O3", "Os", "Oz"]) {
        const after = await optimise(before, level);
        const v = await verifyTransform({ compiler: "llvm", before: { text: before }, after: { text: after }, source: program.path, cache });
        expect(v.ok, `${program.name} ${level}\n${layersOf(v)}`).toBe(true);
        expect(v.layers.map((l) => l.name)).toEqual(["well-formed", "interface", "semantics", "metric"]);
      }
      expect(expected.length).toBeGreaterThan(0);
    });
  }
});

const PROGRAM = `#include <stdio.h>
int counter = 5;
int scale(int x) { return x * 3 + counter; }
static int sum(int n) { int s = 0; for (int i = 0; i < n; i++) s += scale(i); return s; }
int main(void) { printf("sum=%d\\n", sum(10)); return 0; }
`;

/** Reads argv[1], writes its length and checksum to out.txt and stdout. */
const FILE_PROGRAM = `#include <stdio.h>
int main(int argc, char **argv) {
  if (argc < 2) return 3;
  FILE *in = fopen(argv[1], "rb"); if (!in) return 4;
  unsigned sum = 0, n = 0; int c;
  while ((c = fgetc(in)) != EOF) { sum = sum * 31u + (unsigned)c; n++; }
  fclose(in);
  FILE *out = fopen("out.txt", "w"); fprintf(out, "%u %u\\n", n, sum); fclose(out);
  printf("read %u bytes\\n", n);
  return 0;
}
`;

const UB_PROGRAM = `#include <stdio.h>
int f(int x) { return x + 2147483647; }
int main(int argc, char **argv) { (void)argv; printf("%d\\n", f(argc)); return 0; }
`;

async function irOf(name: string, source: string): Promise<{ path: string; ir: string }> {
  const path = join(dir, `${name}.c`);
  await writeFile(path, source);
  return { path, ir: await compileCToIr([path], { clang: tools.clang, llvmLink: tools["llvm-link"], workDir: dir, timeoutMs: 60_000 }) };
}

describe("each layer rejects a hand-made bad transform and names itself", () => {
  let before: string;
  let source: string;
  const check = (after: string, extra: Partial<Parameters<typeof verifyTransform>[0]> = {}): Promise<Verdict> =>
    verifyTransform({ compiler: "llvm", before: { text: before }, after: { text: after }, source, ...extra });

  beforeAll(async () => {
    ({ ir: before, path: source } = await irOf("program", PROGRAM));
  });

  it("accepts the program unchanged and -O2 (with cfg claimed only on the identity)", async () => {
    const same = await check(before, { claimedInvariants: ["cfg", "interface", "semantics"] });
    expect(same.ok, layersOf(same)).toBe(true);
    expect(same.layers.find((l) => l.name === "semantics")?.evidence).toMatch(/agrees with the reference.*UBSan build of the source clean/);
    const o2 = await check(await optimise(before, "O2"));
    expect(o2.ok, layersOf(o2)).toBe(true);
  });

  it("well-formed: IR that opt's verifier refuses", async () => {
    const v = await check(before.replace("ret i32 0", "ret i64 0"));
    expect(v).toMatchObject({ ok: false, decided: true, rejectedBy: "well-formed" });
    expect(v.layers[0]!.evidence).toMatch(/opt -passes=verify/);
  });

  it("interface: a renamed exported function, a changed initial value, a new undefined external", async () => {
    const renamed = await check(before.replaceAll("@scale", "@scale2"));
    expect(renamed.rejectedBy).toBe("interface");
    expect(renamed.layers[1]!.evidence).toMatch(/exported function @scale .*gone/);
    const initial = await check(before.replace(/(@counter = .*global i32) 5/, "$1 6"));
    expect(initial.rejectedBy).toBe("interface");
    expect(initial.layers[1]!.evidence).toMatch(/@counter: initial value `5` became `6`/);
    const external = await check(`${before}\ndeclare i32 @exfiltrate(i8*)\n`);
    expect(external.rejectedBy).toBe("interface");
    expect(external.layers[1]!.evidence).toMatch(/undefined external symbol @exfiltrate/);
  });

  it("interface: a claimed cfg invariant that does not hold", async () => {
    // simplifycfg merges and removes blocks of the unoptimised loop in sum().
    const v = await check(await runPasses(before, "function(simplifycfg)"), { claimedInvariants: ["cfg"] });
    expect(v.rejectedBy).toBe("interface");
    expect(v.layers[1]!.evidence).toMatch(/claimed CFG preservation broken/);
  });

  it("semantics: a changed constant changes stdout", async () => {
    const after = before.replace(/mul nsw i32 (%\d+), 3/, "mul nsw i32 $1, 4");
    expect(after).not.toBe(before);
    const v = await check(after);
    expect(v.rejectedBy).toBe("semantics");
    expect(v.layers[2]!.evidence).toMatch(/stdout differs .*sum=/);
  });

  it("metric: a wrong instruction count or digest", async () => {
    const after = await optimise(before, "O2");
    const honest = await check(after, { objective: "ir-instcount", claimedMetric: undefined });
    const count = Number(/ir-instcount (\d+)/.exec(honest.layers[3]!.evidence)?.[1]);
    const lie = await check(after, { claimedMetric: count - 1 });
    expect(lie.rejectedBy).toBe("metric");
    expect(lie.layers[3]!.evidence).toContain(`claimed ir-instcount ${count - 1} but the AFTER artifact measures ${count}`);
    const text = await check(after, { objective: "text-size", claimedMetric: 1 });
    expect(text.rejectedBy).toBe("metric");
    const digest = await check(after, { claimedOutputDigest: "0".repeat(64) });
    expect(digest.rejectedBy).toBe("metric");
    expect(digest.layers[3]!.evidence).toMatch(/claimed output digest 0{64}/);
  });

  it("semantics: compares the files a program writes, per input file", async () => {
    const { ir, path } = await irOf("files", FILE_PROGRAM);
    const input = join(dir, "input.bin");
    await writeFile(input, "hello verifier");
    const ok = await verifyTransform({ compiler: "llvm", before: { text: ir }, after: { text: await optimise(ir, "O2") }, source: path, inputs: [input] });
    expect(ok.ok, layersOf(ok)).toBe(true);
    // Only the checksum written to out.txt changes (31 → 37); stdout stays the same.
    const bad = await verifyTransform({ compiler: "llvm", before: { text: ir }, after: { text: ir.replace(/mul i32 (%\d+), 31/, "mul i32 $1, 37") }, inputs: [input] });
    expect(bad.rejectedBy, layersOf(bad)).toBe("semantics");
    expect(bad.layers[2]!.evidence).toMatch(/output file "out.txt": contents differ/);
  });

  it("semantics: undefined behaviour in the reference is undecided, not a pass", async () => {
    const { ir, path } = await irOf("ub", UB_PROGRAM);
    const v = await verifyTransform({ compiler: "llvm", before: { text: ir }, after: { text: ir }, source: path });
    expect(v).toMatchObject({ ok: false, decided: false });
    expect(v.layers[2]).toMatchObject({ name: "semantics", ok: false, decided: false });
    expect(v.layers[2]!.evidence).toMatch(/UBSan reports undefined behaviour.*signed integer overflow/);
  });

  it("bad input and unknown invariants are undecided with a reason", async () => {
    const v = await check("this is not IR");
    expect(v).toMatchObject({ ok: false, decided: true, rejectedBy: "well-formed" });
    const w = await verifyTransform({ compiler: "llvm", before: { text: "garbage" }, after: { text: before } });
    expect(w).toMatchObject({ ok: false, decided: false });
    expect(w.reason).toMatch(/field `before`: not valid LLVM IR/);
    const inv = await check(before, { claimedInvariants: ["loop-simplify-form"] });
    expect(inv.reason).toMatch(/claimedInvariants.*loop-simplify-form/);
  });
});

describe("opm verify", () => {
  async function opm(args: string[]): Promise<{ code: number; json: { ok: boolean; decided?: boolean; reason?: string; layers: Array<{ name: string; ok: boolean; evidence: string }> } }> {
    let stdout = "";
    const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const code = await main(["verify", ...args, "--json"]);
      return { code, json: JSON.parse(stdout) };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  it("exits 0 accepted, 1 rejected, 2 undecided, with the JSON document", async () => {
    const { ir, path } = await irOf("cli", PROGRAM);
    const before = join(dir, "cli-before.ll");
    const good = join(dir, "cli-good.ll");
    const bad = join(dir, "cli-bad.ll");
    await writeFile(before, ir);
    await writeFile(good, await optimise(ir, "Oz"));
    await writeFile(bad, ir.replace(/mul nsw i32 (%\d+), 3/, "mul nsw i32 $1, 4"));
    const accepted = await opm(["--compiler", "llvm", "--before", before, "--after", good, "--source", path]);
    expect(accepted.code).toBe(0);
    expect(accepted.json.ok).toBe(true);
    expect(accepted.json.layers.map((l) => l.name)).toEqual(["well-formed", "interface", "semantics", "metric"]);
    expect(Object.keys(accepted.json.layers[0]!).sort()).toEqual(["evidence", "name", "ok"]);
    const rejected = await opm(["--compiler", "llvm", "--before", before, "--after", bad]);
    expect(rejected.code).toBe(1);
    expect(rejected.json.ok).toBe(false);
    expect(rejected.json.layers.at(-1)).toMatchObject({ name: "semantics", ok: false });
    const missing = await opm(["--compiler", "llvm", "--before", before, "--after", join(dir, "nope.ll")]);
    expect(missing.code).toBe(2);
    expect(missing.json).toMatchObject({ ok: false, decided: false });
    expect(missing.json.reason).toMatch(/--after: .*nope.ll does not exist/);
    const compiler = await opm(["--compiler", "javac", "--before", before, "--after", good]);
    expect(compiler.code).toBe(2);
    expect(compiler.json.reason).toMatch(/--compiler: unknown value "javac"/);
  });
});

describe("GCC: -fchecking rebuild, nm interface, differential execution of the object", () => {
  async function object(name: string, source: string, options: string[]): Promise<{ c: string; o: string }> {
    const c = join(dir, `${name}.c`);
    const o = join(dir, `${name}.o`);
    await writeFile(c, source);
    const r = await runTool("gcc", [...options, "-c", c, "-o", o], { timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    return { c, o };
  }

  it("accepts -O2 and rejects a changed program by semantics, a renamed export by interface, a wrong size by metric", async () => {
    const { c, o } = await object("gcc-good", PROGRAM, ["-O2"]);
    const good = await verifyTransform({ compiler: "gcc", before: { path: c }, after: { path: o }, planOptions: ["-O2"] });
    expect(good.ok, layersOf(good)).toBe(true);
    expect(good.layers[0]!.evidence).toMatch(/-fchecking/);
    const changed = await object("gcc-changed", PROGRAM.replace("x * 3", "x * 4"), ["-O2"]);
    const sem = await verifyTransform({ compiler: "gcc", before: { path: c }, after: { path: changed.o }, planOptions: ["-O2"] });
    expect(sem.rejectedBy, layersOf(sem)).toBe("semantics");
    const renamed = await object("gcc-renamed", PROGRAM.replaceAll("scale", "scale2"), ["-O2"]);
    const itf = await verifyTransform({ compiler: "gcc", before: { path: c }, after: { path: renamed.o } });
    expect(itf.rejectedBy).toBe("interface");
    expect(itf.layers[1]!.evidence).toMatch(/exported symbol scale \(code\) is gone/);
    const lie = await verifyTransform({ compiler: "gcc", before: { path: c }, after: { path: o }, objective: "text-size", claimedMetric: 1 });
    expect(lie.rejectedBy).toBe("metric");
    const notObject = await verifyTransform({ compiler: "gcc", before: { path: c }, after: { text: "not an object" } });
    expect(notObject.rejectedBy).toBe("well-formed");
  });
});

describe("Cranelift: the driver's verifier, signatures, the interpreter", () => {
  const debugDriver = join(process.cwd(), "src/adapters/cranelift/driver/target/debug/opm-cranelift-driver");
  const release = join(process.cwd(), "src/adapters/cranelift/driver/target/release/opm-cranelift-driver");
  const available = existsSync(release) || existsSync(debugDriver) || process.env["OPM_CRANELIFT_DRIVER"] !== undefined;

  it.skipIf(!available)("accepts the identity, rejects a changed constant (semantics) and bad dominance (well-formed)", async () => {
    if (!existsSync(release) && process.env["OPM_CRANELIFT_DRIVER"] === undefined) process.env["OPM_CRANELIFT_DRIVER"] = debugDriver;
    const small = await readFile("src/adapters/cranelift/testdata/small.clif", "utf8");
    const same = await verifyTransform({ compiler: "cranelift", before: { text: small }, after: { text: small } });
    expect(same.ok, layersOf(same)).toBe(true);
    const changed = await verifyTransform({ compiler: "cranelift", before: { text: small }, after: { text: small.replace("iconst.i32 3", "iconst.i32 4") } });
    expect(changed.rejectedBy, layersOf(changed)).toBe("semantics");
    expect(changed.layers[2]!.evidence).toMatch(/%add3\(0, 0\)/);
    const bad = await readFile("src/adapters/cranelift/testdata/bad-dominance.clif", "utf8");
    const sig = await verifyTransform({ compiler: "cranelift", before: { text: small }, after: { text: small.replace("function %add3(i32, i32) -> i32", "function %add3(i32, i64) -> i32").replace("block0(v0: i32, v1: i32)", "block0(v0: i32, v1: i64)").replace("v4 = iadd v3, v1", "v9 = ireduce.i32 v1\n    v4 = iadd v3, v9") } });
    expect(sig.rejectedBy, layersOf(sig)).toBe("interface");
    const wf = await verifyTransform({ compiler: "cranelift", before: { text: small }, after: { text: `${small}\n${bad}` } });
    expect(wf.rejectedBy, layersOf(wf)).toBe("well-formed");
  });
});

describe("bench/mutation generator", () => {
  it("is deterministic per seed and edits one instruction per mutant", async () => {
    const { ir } = await irOf("mutate", PROGRAM);
    const o2 = await optimise(ir, "O2");
    for (const kind of MUTATION_KINDS) {
      const a = generateMutants(ir, kind, 3, "s1");
      expect(generateMutants(ir, kind, 3, "s1")).toEqual(a);
      for (const m of a) {
        const [x, y] = [ir.split("\n"), m.text.split("\n")];
        const changed = kind === "drop-store" ? x.length - y.length : x.filter((l, i) => l !== y[i]).length;
        expect(changed, `${kind} ${m.description}`).toBe(1);
      }
    }
    expect(generateMutants(o2, "swap-add-sub", 50, "s1").every((m) => /add → sub|sub → add/.test(m.description))).toBe(true);
  });
});

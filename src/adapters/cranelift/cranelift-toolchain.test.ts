import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentId } from "../../kernel/codec/index.js";
import type { ProgramSource, SourceFile } from "../framework/program-source.js";
import { verifyEvaluation } from "../framework/verify-evaluation.js";
import { CLANG_WASM_FLAGS, findClang } from "./compile-c-to-wasm.js";
import { corpusPrograms } from "../../../bench/corpus/index.js";
import { isOpmError, type OpmError } from "../../kernel/errors/index.js";
import type { PreparedProblem } from "../framework/toolchain.js";
import type { PassOffer } from "../../kernel/plan/index.js";
import { clifFeatures } from "./clif-features.js";
import { parseCraneliftPlan } from "./cranelift-plan.js";
import { checkVerified, craneliftProgramShape, CraneliftToolchain } from "./cranelift-toolchain.js";
import type { DriverCompiled } from "./driver-protocol.js";
import { rejection } from "../../../test/support/rejection.js";

const testdata = (name: string) => new URL(`./testdata/${name}`, import.meta.url).pathname;
/** Small corpus programs, each several functions once compiled at -O0. */
const PROGRAMS = ["nqueens", "bitcount", "crc32"];

const cranelift = new CraneliftToolchain();
let catalog: PassOffer[];
const problems = new Map<string, PreparedProblem>();

beforeAll(async () => {
  catalog = await cranelift.catalog();
  const byName = new Map(corpusPrograms().map((p) => [p.name, p.path]));
  for (const name of PROGRAMS) problems.set(name, await cranelift.prepare(byName.get(name)!, "code-size"));
});
afterAll(() => cranelift.close());


const plan = (text: string) => parseCraneliftPlan(text);

describe("CraneliftToolchain.info / catalog", () => {
  it("reports the cranelift-codegen version and x86_64", async () => {
    const info = await cranelift.info();
    expect(info.compiler).toBe("cranelift");
    expect(info.version).toBe("0.112.3");
    expect(info.target).toBe("x86_64");
    expect(info.tools["opm-cranelift-driver"]).toMatch(/opm-cranelift-driver$/);
  });

  it("offers exactly the driver's Context steps and its settings", () => {
    const steps = catalog.filter((o) => o.level === "step").map((o) => o.name);
    expect(steps.sort()).toEqual(
      ["canonicalize_nans", "egraph_pass", "eliminate_unreachable_code", "legalize", "remove_constant_phis", "replace_redundant_loads", "resolve_all_aliases"],
    );
    expect(catalog.find((o) => o.name === "canonicalize_nans")!.invariants).not.toContain("semantics");
    expect(catalog.find((o) => o.name === "egraph_pass")!.invariants).toContain("semantics");
    const settings = catalog.filter((o) => o.level !== "step");
    expect(settings.length).toBeGreaterThanOrEqual(40);
    expect(settings.length).toBeLessThanOrEqual(200);
    const optLevel = catalog.find((o) => o.name === "opt_level")!;
    expect(optLevel.level).toBe("opt-level");
    expect(optLevel.parameters).toEqual([{ name: "opt_level", kind: "enum", values: ["none", "speed", "speed_and_size"], default: "none" }]);
    expect(catalog.find((o) => o.name === "has_avx")!.parameters[0]).toMatchObject({ kind: "bool", default: "false" });
    expect(catalog.find((o) => o.name === "probestack_size_log2")!.parameters[0]).toMatchObject({ kind: "int", min: 0, max: 255, default: "12" });
    for (const name of ["licm", "gvn", "dce", "inline"]) expect(catalog.map((o) => o.name)).not.toContain(name);
  });
});

describe.each(PROGRAMS)("CraneliftToolchain on corpus program %s (C → wasm -O0)", (name) => {
  const problem = () => problems.get(name)!;

  it("prepares wasm with a digest, CLIF opcode features and a speed_and_size baseline", async () => {
    const p = problem();
    expect(p.input.format).toBe("wasm");
    expect(Buffer.from(p.input.bytes.subarray(0, 4)).toString("latin1")).toBe("\0asm");
    expect(p.digest).toMatch(/^[0-9a-f]{64}$/);
    const lowered = await cranelift.driver.request("lower", { input: { format: "wasm", base64: Buffer.from(p.input.bytes).toString("base64") } });
    expect(p.features).toEqual(clifFeatures(lowered.functions.map((f) => f.clif)));
    expect(p.features["clif.instructions"]).toBe(lowered.functions.reduce((n, f) => n + f.inst_count, 0));
    expect(p.features["clif.functions"]).toBe(lowered.functions.length);
    expect(p.features["clif.functions"]).toBeGreaterThan(2);
    expect(p.features["clif.iadd"]).toBeGreaterThan(0);
    expect(p.baseline.objective).toBe("code-size");
    expect(p.baseline.value).toBe(p.baseline.output.length);
    expect(p.baseline.metrics["ir-instcount"]).toBeGreaterThan(0);
  });

  it("measures `opt_level=speed_and_size` exactly as the baseline, deterministically", async () => {
    const p = problem();
    const a = await cranelift.evaluate(p.input, plan("opt_level=speed_and_size"), "code-size");
    const b = await cranelift.evaluate(p.input, plan("opt_level=speed_and_size"), "code-size");
    expect(a.value).toBe(p.baseline.value);
    expect(a.outputDigest).toBe(p.baseline.outputDigest);
    expect(b.outputDigest).toBe(a.outputDigest);
    expect(Buffer.compare(Buffer.from(b.output), Buffer.from(a.output))).toBe(0);
  });

  it("gives larger code at `opt_level=none` (and for the empty plan, Cranelift's default)", async () => {
    const p = problem();
    const none = await cranelift.evaluate(p.input, plan("opt_level=none"), "code-size");
    expect(none.value).toBeGreaterThan(p.baseline.value);
    expect((await cranelift.evaluate(p.input, plan(""), "code-size")).outputDigest).toBe(none.outputDigest);
  });

  it("passes the verifier after every step alone, with opt_level=none", async () => {
    const p = problem();
    for (const step of catalog.filter((o) => o.level === "step")) {
      const m = await cranelift.evaluate(p.input, plan(`opt_level=none; ${step.name}`), "code-size");
      expect(m.value, step.name).toBeGreaterThan(0);
    }
    // the mid-end as a pre-pipeline at opt_level=none shrinks code too
    const egraph = await cranelift.evaluate(p.input, plan("opt_level=none; egraph_pass"), "code-size");
    const none = await cranelift.evaluate(p.input, plan("opt_level=none"), "code-size");
    expect(egraph.value).toBeLessThan(none.value);
  });
});

describe("CraneliftToolchain.evaluate", () => {
  it("reproduces a result by hand from its `reproduction` command", async () => {
    const p = problems.get("nqueens")!;
    const m = await cranelift.evaluate(p.input, plan("opt_level=none; remove_constant_phis, egraph_pass"), "code-size");
    const command = m.reproduction.replace(/<base64 of the input, sha256 [0-9a-f]+>/, Buffer.from(p.input.bytes).toString("base64"));
    const response = JSON.parse(execFileSync("sh", ["-c", command], { encoding: "utf8" })) as { totals: { output_digest: string; code_bytes: number } };
    expect(response.totals).toMatchObject({ output_digest: m.outputDigest, code_bytes: m.value });
    expect(m.reproduction).toContain(`sha256 ${p.digest}`);
  });

  it("rejects unknown steps and bad setting values before compiling, naming them", async () => {
    const p = problems.get("nqueens")!;
    const unknown = await rejection(cranelift.evaluate(p.input, { steps: [{ pass: "egraph_pass" }, { pass: "licm" }] }, "code-size"));
    expect([unknown.code, unknown.field]).toEqual(["invalid_argument", "plan.steps[1]"]);
    expect(unknown.message).toContain("`licm`");
    const badValue = await rejection(cranelift.evaluate(p.input, plan("opt_level=fastest"), "code-size"));
    expect(badValue.code).toBe("invalid_argument");
    expect(badValue.message).toContain("bad value `fastest` for setting `opt_level`");
    const objective = await rejection(cranelift.evaluate(p.input, plan(""), "text-size"));
    expect([objective.code, objective.field]).toEqual(["invalid_argument", "objective"]);
  });

  it("reports a verifier refusal as verification_failed naming function and step", async () => {
    const bad = await rejection(cranelift.prepare(testdata("bad-dominance.clif"), "code-size"));
    expect(bad.code).toBe("verification_failed");
    expect(bad.message).toContain("function `%bad` after step `input`");
    expect(bad.detail).toContain("non-dominating");
  });

  it("measures ir-instcount as the instructions of the lowered CLIF", async () => {
    const p = await cranelift.prepare(testdata("small.clif"), "ir-instcount");
    expect(p.input.format).toBe("clif");
    expect(p.features["clif.functions"]).toBe(2);
    expect(p.baseline.objective).toBe("ir-instcount");
    expect(p.baseline.value).toBe(p.baseline.metrics["ir-instcount"]);
    expect(p.baseline.metrics["code-size"]).toBe(p.baseline.output.length);
  });
});

describe("checkVerified", () => {
  const compiled = (verifier: Array<{ step: string; ok: boolean }>, verified = true) =>
    ({ verified, functions: [{ name: "f", verifier }] }) as unknown as DriverCompiled;
  const ok = (...steps: string[]) => steps.map((step) => ({ step, ok: true }));

  it("accepts a passing verifier run on the input, after each step in order, and on the lowered CLIF", () => {
    expect(() => checkVerified(compiled(ok("input", "egraph_pass", "legalize", "codegen")), ["egraph_pass", "legalize"])).not.toThrow();
  });

  it.each([
    ["a missing step", compiled(ok("input", "egraph_pass", "codegen")), "`f`"],
    ["steps out of order", compiled(ok("input", "legalize", "egraph_pass", "codegen")), "input,egraph_pass,legalize,codegen"],
    ["a failed run", compiled([...ok("input", "egraph_pass", "legalize"), { step: "codegen", ok: false }]), "codegen"],
    ["verified false", compiled(ok("input", "egraph_pass", "legalize", "codegen"), false), "verified false"],
  ])("refuses %s as internal", (_why, c, text) => {
    let e: OpmError | undefined;
    try {
      checkVerified(c, ["egraph_pass", "legalize"]);
    } catch (err) {
      if (isOpmError(err)) e = err;
    }
    expect(e?.code).toBe("internal");
    expect(e?.message).toContain(text);
  });
});

describe("CraneliftToolchain.interpretCompare", () => {
  it("runs a function before and after a plan in Cranelift's interpreter", async () => {
    const p = await cranelift.prepare(testdata("small.clif"), "code-size");
    const r = await cranelift.interpretCompare(p.input, "sum_to", [10], plan("opt_level=speed; egraph_pass, remove_constant_phis"));
    expect(r.before).toEqual({ status: "returned", values: [{ type: "i64", value: "45" }] });
    expect(r.same).toBe(true);
    const unknown = await rejection(cranelift.interpretCompare(p.input, "nope", [], plan("")));
    expect(unknown.code).toBe("invalid_argument");
  });
});

describe("CraneliftToolchain.compareSemantics", () => {
  it("runs every wasm function in the driver's sandbox before and after a plan", async () => {
    const input = problems.get("crc32")!.input;
    const r = await cranelift.compareSemantics(input, { plan: plan("opt_level=speed_and_size") });
    expect(r.same).toBe(true);
    expect(r.include_codegen_pipeline).toBe(true);
    expect(r.sandbox.imports).toEqual(expect.arrayContaining(["env.printf", "env.strlen"]));
    expect(r.sandbox.stack_pointer).toBe(r.sandbox.memory_bytes);
    expect(r.totals.compared_functions).toBeGreaterThanOrEqual(r.totals.functions - 2);
    const main = r.functions.find((f) => f.symbol === "main")!;
    expect(main.status).toBe("not_covered");
    expect(main.reason).toMatch(/did not finish within 200000 instructions/);
  });

  it("compares against a module given as AFTER and names the function that differs", async () => {
    const p = await cranelift.prepare(testdata("small.clif"), "code-size");
    const changed = Buffer.from(Buffer.from(p.input.bytes).toString("utf8").replace("iconst.i32 3", "iconst.i32 4"));
    const r = await cranelift.compareSemantics(p.input, { input: { format: "clif", bytes: changed } });
    expect(r.same).toBe(false);
    const add3 = r.functions.find((f) => f.clif_name === "%add3")!;
    expect(add3.status).toBe("differs");
    expect(add3.difference?.differences).toEqual(["return values: before i32 3, after i32 4"]);
    const bad = await rejection(cranelift.compareSemantics(p.input, { plan: plan("opt_level=fastest") }));
    expect(bad.code).toBe("invalid_argument");
  });
});

describe("CraneliftToolchain without its driver", () => {
  it("says how to build it", async () => {
    const missing = new CraneliftToolchain({ driverPath: "/nonexistent/opm-cranelift-driver" });
    const e = await rejection(missing.info());
    expect(e.code).toBe("tool_missing");
    expect(e.message).toContain("cargo build --release");
    expect(e.message).toContain("src/adapters/cranelift/driver");
  });
});

describe("CraneliftToolchain.prepare: what a program may be", () => {
  const file = (path: string, kind: SourceFile["kind"], ...args: string[]): SourceFile => ({ path, kind, args });
  const program = (files: SourceFile[], libraries: string[] = []): ProgramSource => ({ files, libraries });
  const shapeError = (p: ProgramSource): { message: string; field?: string; code?: string } => {
    try {
      craneliftProgramShape(p);
    } catch (err) {
      return err as OpmError;
    }
    throw new Error("expected craneliftProgramShape to refuse");
  };
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "opm-cranelift-prepare-"));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("takes C files (any number, each with its flags) or exactly one .wasm or .clif", () => {
    expect(craneliftProgramShape(program([file("/p/a.c", "c", "-I/p/include"), file("/p/b.c", "c", "-DX=1")], ["m"]))).toEqual({ kind: "c", units: [file("/p/a.c", "c", "-I/p/include"), file("/p/b.c", "c", "-DX=1")] });
    expect(craneliftProgramShape(program([file("/p/m.wasm", "wasm")]))).toEqual({ kind: "wasm", path: "/p/m.wasm" });
    expect(craneliftProgramShape(program([file("/p/m.clif", "clif")]))).toEqual({ kind: "clif", path: "/p/m.clif" });
  });

  it.each([
    ["LLVM IR", program([file("/p/a.c", "c"), file("/p/b.ll", "llvm-ir")]), "files", "the Cranelift toolchain does not read LLVM IR (`/p/b.ll`): use --compiler llvm for LLVM IR"],
    ["LLVM bitcode", program([file("/p/b.bc", "llvm-bc")]), "files", "use --compiler llvm for LLVM IR"],
    ["two wasm modules", program([file("/p/a.wasm", "wasm"), file("/p/b.wasm", "wasm")]), "files", "the Cranelift toolchain takes one or more C files (compiled to wasm32-wasi and linked into one module), or exactly one .wasm or .clif file; got 2 .wasm files"],
    ["C with CLIF", program([file("/p/a.c", "c"), file("/p/b.clif", "clif")]), "files", "got 1 C file and 1 .clif file"],
    ["wasm with a library", program([file("/p/a.wasm", "wasm")], ["m"]), "libraries", "libraries (`m`) apply to C programs only: `/p/a.wasm` is a .wasm module, already compiled"],
  ])("refuses %s as invalid_argument saying what it takes", (_what, p, field, text) => {
    const e = shapeError(p);
    expect([e.code, e.field]).toEqual(["invalid_argument", field]);
    expect(e.message).toContain(text);
  });

  it("refuses those through prepare too, before compiling anything", async () => {
    const e = await rejection(cranelift.prepare(program([file(testdata("small.clif"), "clif"), file(testdata("bad-dominance.clif"), "clif")]), "code-size"));
    expect([e.code, e.field]).toEqual(["invalid_argument", "files"]);
  });

  it("keeps one C file's problem exactly as before: the object `clang <CLANG_WASM_FLAGS>` writes, same digest", () => {
    const path = corpusPrograms().find((p) => p.name === "nqueens")!.path;
    const out = join(work, "nqueens.o");
    execFileSync(findClang(), [...CLANG_WASM_FLAGS, basename(path), "-o", out], { cwd: dirname(path) });
    expect(problems.get("nqueens")!.digest).toBe(contentId(readFileSync(out)));
  });

  it("links two C files with their own flags into one module whose functions come from both", async () => {
    writeFileSync(join(work, "a.c"), "int twice(int x);\nint quad(int x) { return twice(twice(x)); }\n");
    writeFileSync(join(work, "b.c"), "int twice(int x) { return x * FACTOR; }\n");
    const p = await cranelift.prepare(program([file(join(work, "a.c"), "c"), file(join(work, "b.c"), "c", "-DFACTOR=2")], ["m"]), "code-size");
    expect(p.input.format).toBe("wasm");
    expect(p.features["clif.functions"]).toBe(2);
    const r = await cranelift.compareSemantics(p.input, { plan: plan("opt_level=speed_and_size") });
    expect(r.functions.map((f) => [f.symbol, f.status])).toEqual([["quad", "compared"], ["twice", "compared"]]);
  });

  it("reports a C error as the program's: the file and clang's first error, no wasi-libc hint", async () => {
    const bad = join(work, "bad.c");
    writeFileSync(bad, "int f(int x) {\n  return x +;\n}\n");
    const e = await rejection(cranelift.prepare(bad, "code-size"));
    expect([e.code, e.field]).toEqual(["compiler_failed", "files"]);
    expect(e.message).toBe(`\`${bad}\` does not compile for wasm32-wasi (clang exit 1): bad.c:2:13: error: expected expression`);
    const lib = await rejection(cranelift.prepare(program([file(join(work, "a.c"), "c")], ["z"]), "code-size"));
    expect([lib.code, lib.message]).toEqual(["invalid_argument", expect.stringContaining("the Cranelift toolchain compiles C to wasm32-wasi; library `z` is not in wasi-libc")]);
  });

  it("an undecided evaluation fails with the evidence: which functions could not be compared and why", async () => {
    const c = join(work, "alloc.c");
    writeFileSync(c, "#include <stdlib.h>\nint *table(int n) { int *t = malloc(n * sizeof *t); t[0] = n; return t; }\n");
    const p = await cranelift.prepare(c, "code-size");
    const verdict = await cranelift.verifyEvaluation({ input: p.input, plan: plan("opt_level=speed_and_size"), objective: "code-size", measured: p.baseline }, new Map());
    expect([verdict.ok, verdict.decided]).toEqual([false, false]);
    const semantics = verdict.layers.find((l) => l.name === "semantics")!;
    expect(semantics.evidence).toContain("none of the 1 function(s) could be compared");
    expect(semantics.evidence).toContain("u0:1 (table): BEFORE cannot run in the sandbox: calls import env.malloc (u0:0), which has no stub");
    expect(semantics.evidence).toContain("imports without a sandbox stub: env.malloc");
    const info = await cranelift.info();
    const e = await rejection(verifyEvaluation(info, cranelift, p.input, plan("opt_level=speed_and_size"), "code-size", p.baseline, "test", new Map()));
    expect(e.code).toBe("verification_undecided");
    expect(e.message).toContain("u0:1 (table): BEFORE cannot run in the sandbox: calls import env.malloc");
  });

  it("an evaluation whose differential run fails is undecided in the semantics layer, naming the error", async () => {
    const input = { format: "llvm-ir" as const, bytes: Buffer.from("") };
    const verdict = await cranelift.verifyEvaluation({ input, plan: plan(""), objective: "code-size", measured: problems.get("nqueens")!.baseline }, new Map());
    expect([verdict.ok, verdict.decided]).toEqual([false, false]);
    expect(verdict.layers.map((l) => l.name)).toEqual(["well-formed", "semantics"]);
    expect(verdict.layers[1]!.evidence).toContain("undecided: the driver's differential run failed: invalid_argument: field `input.format`");
  });
});

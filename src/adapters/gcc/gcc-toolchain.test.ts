import { gccSearchSpace } from "./gcc-search-space.js";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { textBytes } from "../framework/elf.js";
import type { PreparedProblem } from "../framework/toolchain.js";
import type { PassOffer, Plan } from "../../kernel/plan/index.js";
import { buildGccCatalog } from "./gcc-catalog.js";
import { GccToolchain } from "./gcc-toolchain.js";
import { rejection } from "../../../test/support/rejection.js";

const source = new URL("./testdata/kernels.c", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "opm-gcc-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const gcc = new GccToolchain({ cacheDir: join(dir, "cache") });
let catalog: PassOffer[];
let problem: PreparedProblem;

beforeAll(async () => {
  catalog = await gcc.catalog();
  problem = await gcc.prepare(source, "text-size");
});


describe("GccToolchain.info", () => {
  it("reads the installed gcc", async () => {
    const info = await gcc.info();
    expect(info.compiler).toBe("gcc");
    expect(info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(info.target).toContain("linux");
  });
  it("names the Debian package of a missing gcc", async () => {
    const e = await rejection(new GccToolchain({ gcc: "/nonexistent/gcc" }).info());
    expect(e.code).toBe("tool_missing");
    expect(e.message).toContain("`gcc`");
    expect((await rejection(new GccToolchain({ searchPath: dir }).info())).code).toBe("tool_missing");
  });
});

describe("GccToolchain.catalog", () => {
  it("has ≥ 200 flags, ≥ 200 params and the -O levels, without C++-only flags", () => {
    const count = (level: string) => catalog.filter((o) => o.level === level).length;
    expect(count("flag")).toBeGreaterThanOrEqual(200);
    expect(count("param")).toBeGreaterThanOrEqual(200);
    expect(catalog.filter((o) => o.level === "opt-level").map((o) => o.name)).toEqual(["-O0", "-O1", "-O2", "-O3", "-Ofast", "-Og", "-Os", "-Oz"]);
    const names = new Set(catalog.map((o) => o.name));
    expect(names.has("-frtti")).toBe(false); // "valid for C++ but not for C"
    expect(names.has("-fstack-protector-all")).toBe(false); // no -fno- form: not an on/off flag
    expect(names.has("-ftree-vectorize")).toBe(true);
    const inline = catalog.find((o) => o.name === "-finline-functions");
    expect(inline?.parameters[0]?.default).toBe("on"); // enabled at -Os in GCC 12
    expect(catalog.find((o) => o.name === "align-threshold")?.parameters[0]).toMatchObject({ kind: "int", min: 1, max: 65536 });
  });

  it("is cached per gcc version", async () => {
    const info = await gcc.info();
    const started = Date.now();
    const again = await buildGccCatalog({ gcc: info.tools["gcc"]!, version: info.version, target: info.target, cacheDir: join(dir, "cache") });
    expect(Date.now() - started).toBeLessThan(500);
    expect(again).toEqual(catalog);
  });

  it("a sample of flags and params each compile a real program silently at -Os", () => {
    const flags = catalog.filter((o) => o.level === "flag" && o.parameters[0]?.kind === "bool");
    const params = catalog.filter((o) => o.level === "param" && o.parameters[0]?.kind === "int");
    const sample = [...flags.filter((_, i) => i % 8 === 0).map((o) => [o.name]), ...params.filter((_, i) => i % 8 === 0).map((o) => {
      const p = o.parameters[0]!;
      return [`--param=${o.name}=${p.default ?? p.min}`];
    })];
    for (const args of sample) {
      const r = execFileSync("gcc", ["-Os", ...args, "-c", source, "-o", join(dir, "sample.o")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      expect([args, r]).toEqual([args, ""]);
    }
  });
});

describe("GccToolchain.evaluate", () => {
  const plan: Plan = {
    steps: [{ pass: "-O2" }, { pass: "-fno-inline-functions" }, { pass: "-funroll-loops", value: "on" }, { pass: "max-unroll-times", value: "2" }, { pass: "-fvect-cost-model", value: "cheap" }],
  };

  it("never offers a move that changes floating-point results or the ABI", () => {
    const moved = new Set(gccSearchSpace(catalog, "text-size", 16).moves.map((m) => m.pass));
    for (const flag of ["-fassociative-math", "-freciprocal-math", "-ffast-math", "-funsafe-math-optimizations", "-ffinite-math-only",
      "-fno-signed-zeros", "-fno-trapping-math", "-fexcess-precision", "-fshort-enums", "-fpack-struct"]) {
      expect(moved.has(flag), flag).toBe(false);
    }
    expect(moved.size).toBeGreaterThan(100);
  });

  it("renders the full option list", () => {
    expect(gcc.renderPlan(plan)).toBe("-O2 -fno-inline-functions -funroll-loops --param=max-unroll-times=2 -fvect-cost-model=cheap");
  });

  it("baseline -Os is no larger than -O0, both metrics measured", async () => {
    const o0 = await gcc.evaluate(problem.input, { steps: [{ pass: "-O0" }] }, "text-size");
    expect(problem.baseline.value).toBeLessThanOrEqual(o0.value);
    expect(problem.baseline.metrics["code-size"]).toBeGreaterThan(problem.baseline.value);
    expect(problem.baseline.reproduction).toMatch(/ -Os -c input\.c -o output\.o && /);
    expect(problem.features["autophase.TotalFuncs"]).toBeGreaterThanOrEqual(4);
    expect(problem.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it("is reproduced by running the reproduction command by hand", async () => {
    const m = await gcc.evaluate(problem.input, plan, "code-size");
    const work = mkdtempSync(join(dir, "hand-"));
    writeFileSync(join(work, "input.c"), problem.input.bytes);
    execFileSync("sh", ["-c", m.reproduction], { cwd: work });
    expect(textBytes(readFileSync(join(work, "output.o")))).toBe(m.metrics["text-size"]);
    expect(textBytes(readFileSync(join(work, "program")))).toBe(m.metrics["code-size"]);
    expect(m.value).toBe(m.metrics["code-size"]);
    expect(m.metrics["text-size"]).not.toBe(problem.baseline.value);
  });

  it("rejects bad plans naming the step, before running gcc", async () => {
    const cases: Array<[Plan, RegExp]> = [
      [{ steps: [{ pass: "-Os" }, { pass: "-ffrobnicate" }] }, /plan\.steps\[1\].*unknown gcc flag `-ffrobnicate`/],
      [{ steps: [{ pass: "align-threshold", value: "0" }] }, /steps\[0\].*align-threshold` = 0 is out of range \[1, 65536\]/],
      [{ steps: [{ pass: "max-unroll-times", value: "many" }] }, /needs an integer, got `many`/],
      [{ steps: [{ pass: "no-such-param", value: "1" }] }, /unknown gcc option or --param `no-such-param`/],
      [{ steps: [{ pass: "-fno-inline" }, { pass: "-O2" }] }, /steps\[1\].*must be the first step/],
      [{ steps: [{ pass: "-fvect-cost-model=", value: "free" }] }, /must be one of unlimited\|dynamic\|cheap\|very-cheap, got `free`/],
      [{ steps: [{ pass: "-frtti" }] }, /unknown gcc flag `-frtti`/],
      [{ steps: [{ pass: "-funroll-loops", value: "maybe" }] }, /on or off, got `maybe`/],
    ];
    for (const [plan, pattern] of cases) {
      const e = await rejection(gcc.evaluate(problem.input, plan, "text-size"));
      expect(e.code).toBe("invalid_argument");
      expect(e.message).toMatch(pattern);
    }
    expect((await rejection(gcc.evaluate(problem.input, { steps: [] }, "ir-instcount"))).field).toBe("objective");
  });

  it("reports compile errors with stderr, timeouts, and a program without main", async () => {
    const broken = { format: "c-source" as const, bytes: Buffer.from("int f(void) { return undeclared; }\n") };
    const e = await rejection(gcc.evaluate(broken, { steps: [{ pass: "-Os" }] }, "text-size"));
    expect(e.code).toBe("compiler_failed");
    expect(e.detail).toContain("undeclared");
    const slow = await rejection(gcc.evaluate(problem.input, { steps: [{ pass: "-O3" }] }, "text-size", { timeoutMs: 1 }));
    expect(slow.code).toBe("deadline_exceeded");
    const library = { format: "c-source" as const, bytes: Buffer.from("int twice(int x) { return 2 * x; }\n") };
    const m = await gcc.evaluate(library, { steps: [{ pass: "-Os" }] }, "text-size");
    expect(m.metrics["code-size"]).toBeUndefined();
    expect((await rejection(gcc.evaluate(library, { steps: [{ pass: "-Os" }] }, "code-size"))).code).toBe("compiler_failed");
  });
});

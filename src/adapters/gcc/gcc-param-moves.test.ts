/**
 * GCC's `--param` moves (issue 15, item 5) against the installed gcc: they exist in its
 * catalog, stay in range, render as `--param=name=value`, read back from their plan key,
 * compile real programs, move `.text`, and go through the verifier like any other plan.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePlanKey, planKey, type PassOffer, type Plan, type PlanStep } from "../../kernel/plan/index.js";
import { GCC_SIZE_PARAMS, gccParamMoves } from "./gcc-param-moves.js";
import { gccPlanOptions } from "./gcc-plan.js";
import { gccSearchSpace } from "./gcc-search-space.js";
import { GccToolchain } from "./gcc-toolchain.js";

const dir = mkdtempSync(join(tmpdir(), "opm-gcc-params-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const gcc = new GccToolchain({ cacheDir: join(dir, "cache") });
const testdata = (name: string) => new URL(`./testdata/${name}`, import.meta.url).pathname;
let catalog: PassOffer[];
let moves: PlanStep[];

beforeAll(async () => {
  catalog = await gcc.catalog();
  moves = gccParamMoves(catalog);
});

describe("GCC param moves", () => {
  it("cover every chosen param the installed gcc offers, within its range and never at its -Os default", () => {
    const offers = new Map(catalog.filter((o) => o.level === "param").map((o) => [o.name, o.parameters[0]!]));
    for (const { name } of GCC_SIZE_PARAMS) {
      const p = offers.get(name);
      expect(p, name).toMatchObject({ kind: "int" });
      expect(p!.default, name).toBeDefined();
      const values = moves.filter((m) => m.pass === name).map((m) => Number(m.value));
      expect(values.length, name).toBeGreaterThan(0);
      for (const v of values) {
        expect(v, name).toBeGreaterThanOrEqual(p!.min ?? 0);
        expect(v, name).toBeLessThanOrEqual(p!.max!);
        expect(String(v), name).not.toBe(p!.default);
      }
      expect(new Set(values).size, name).toBe(values.length);
    }
    // The rules against GCC 12's -Os defaults: 0, 15/4, 15/2 and 2×15; 2×75 clamped to the maximum 100.
    expect(moves.filter((m) => m.pass === "max-jump-thread-duplication-stmts").map((m) => m.value)).toEqual(["0", "3", "7", "30"]);
    expect(moves.filter((m) => m.pass === "sink-frequency-threshold").map((m) => m.value)).toEqual(["100"]);
    expect(moves.filter((m) => m.pass === "max-fsm-thread-length").map((m) => m.value)).toEqual(["1", "2"]); // its minimum is 1
  });

  it("leave out a param the installed gcc does not offer or shows no default for", () => {
    const only = catalog.filter((o) => o.name !== "max-cse-insns");
    expect(gccParamMoves(only, [{ name: "max-cse-insns", values: ["min"] }])).toEqual([]);
    const unset: PassOffer[] = [{ name: "x", level: "param", parameters: [{ name: "value", kind: "int", min: 0, max: 10 }], invariants: [] }];
    expect(gccParamMoves(unset, [{ name: "x", values: ["min", 4] }])).toEqual([]);
  });

  it("sit in the search space after the flags -Os turns on, and every move's key reads back as the same plan", () => {
    const space = gccSearchSpace(catalog, "text-size", 24);
    const params = space.moves.filter((m) => !m.pass.startsWith("-"));
    expect(params).toEqual(moves);
    const firstParam = space.moves.indexOf(params[0]!);
    expect(space.moves.slice(0, firstParam).every((m) => m.pass.startsWith("-fno-") || m.value === "off")).toBe(true);
    const enums = space.moves.filter((m) => m.pass.startsWith("-f") && m.value !== undefined && m.value !== "off");
    expect(enums).toContainEqual({ pass: "-fvect-cost-model", value: "unlimited" });
    for (const move of space.moves) {
      const plan: Plan = { steps: [...space.prefix, move] };
      expect(planKey(plan)).not.toContain("==");
      expect(parsePlanKey(planKey(plan))).toEqual(plan);
    }
  });

  it("render as --param=name=value, enumerated values as -fX=value; an out-of-range value is refused naming the range", () => {
    for (const move of moves) expect(gccPlanOptions({ steps: [{ pass: "-Os" }, move] }, catalog)).toEqual(["-Os", `--param=${move.pass}=${move.value}`]);
    const plan = parsePlanKey("-Os -fno-inline-functions -fvect-cost-model=unlimited max-jump-thread-duplication-stmts=0");
    expect(gccPlanOptions(plan, catalog)).toEqual(["-Os", "-fno-inline-functions", "-fvect-cost-model=unlimited", "--param=max-jump-thread-duplication-stmts=0"]);
    // The older spellings still render the same options.
    expect(gccPlanOptions({ steps: [{ pass: "-fvect-cost-model=", value: "unlimited" }, { pass: "--param=max-jump-thread-duplication-stmts", value: "0" }] }, catalog))
      .toEqual(["-fvect-cost-model=unlimited", "--param=max-jump-thread-duplication-stmts=0"]);
    expect(() => gccPlanOptions(parsePlanKey("-Os max-fsm-thread-length=0"), catalog)).toThrow(/steps\[1\].*max-fsm-thread-length` = 0 is out of range \[1, 999999\]/);
    expect(() => gccPlanOptions(parsePlanKey("-Os sink-frequency-threshold=101"), catalog)).toThrow(/out of range \[0, 100\]/);
    expect(() => gccPlanOptions(parsePlanKey("-Os -fvect-cost-model=free"), catalog)).toThrow(/must be one of unlimited\|dynamic\|cheap\|very-cheap, got `free`/);
  });

  it("each compile a real program silently at -Os", () => {
    for (const move of moves) {
      const args = gccPlanOptions({ steps: [{ pass: "-Os" }, move] }, catalog);
      const r = execFileSync("gcc", [...args, "-c", testdata("params.c"), "-o", join(dir, "p.o")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      expect([args, r]).toEqual([args, ""]);
    }
  });

  it("move .text, and a plan with a param is verified, a wrong object under the same plan rejected", async () => {
    const problem = await gcc.prepare(testdata("params.c"), "text-size");
    const plan = parsePlanKey("-Os loop-invariant-max-bbs-in-loop=0");
    const m = await gcc.evaluate(problem.input, plan, "text-size");
    expect(m.value).toBeLessThan(problem.baseline.value); // GCC 12.2: 306 against 315 bytes
    expect(m.reproduction).toContain("--param=loop-invariant-max-bbs-in-loop=0");
    const cache = new Map<string, unknown>();
    const ok = await gcc.verifyEvaluation({ input: problem.input, plan, objective: "text-size", measured: m }, cache);
    expect(ok.ok, JSON.stringify(ok.layers)).toBe(true);
    expect(ok.layers.find((l) => l.name === "well-formed")?.evidence).toContain("--param=loop-invariant-max-bbs-in-loop=0 -fchecking");
    // The same plan on a program that prints another checksum: the object is a real build
    // with the param, but not of this program, and the runs tell.
    const wrong = { format: "c-source" as const, bytes: Buffer.from(readFileSync(testdata("params.c"), "utf8").replace("16777619u", "16777617u")) };
    const lie = await gcc.evaluate(wrong, plan, "text-size");
    const rejected = await gcc.verifyEvaluation({ input: problem.input, plan, objective: "text-size", measured: lie }, cache);
    expect(rejected.ok).toBe(false);
    expect(rejected.rejectedBy, JSON.stringify(rejected.layers)).toBe("semantics");
  });
});

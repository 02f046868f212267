import { afterAll, describe, expect, it } from "vitest";
import { CraneliftToolchain, parseCraneliftPlan, type DriverDifferential } from "../src/adapters/cranelift/index.js";
import type { ProblemInput } from "../src/adapters/framework/toolchain.js";
import { corpusPrograms } from "../bench/corpus/index.js";
import { CLIF_MUTATION_KINDS, generateClifMutants } from "../bench/mutation/mutate-clif.js";
import { verifyTransform } from "../src/adapters/framework/toolchains.js";
import { craneliftSemanticsLayer, differentialToLayer } from "../src/adapters/cranelift/differential-layer.js";

/**
 * Layer 3 (semantics) for Cranelift on real programs: the corpus's C compiled to wasm
 * objects exactly as Cranelift problems are (`clang -O0 -c`), run function by function
 * in the driver's sandbox before and after a plan.
 */
const cranelift = new CraneliftToolchain();
afterAll(() => cranelift.close());

const inputs = new Map<string, Promise<ProblemInput>>();
function inputOf(name: string): Promise<ProblemInput> {
  let input = inputs.get(name);
  if (input === undefined) {
    const path = corpusPrograms().find((p) => p.name === name)!.path;
    input = cranelift.prepare(path, "code-size").then((p) => p.input);
    inputs.set(name, input);
  }
  return input;
}

/** `main` and the `__original_main` wrapper run the whole program: far beyond the fuel. */
const isMain = (f: DriverDifferential["functions"][number]): boolean => f.symbol === "main" || f.symbol === "__original_main";

describe("Cranelift semantics layer: sandboxed differential execution of wasm functions", () => {
  it("accepts opt_level=speed_and_size on all 24 corpus programs, decided, comparing most functions", async () => {
    const plan = parseCraneliftPlan("opt_level=speed_and_size");
    let [functions, compared, mains, otherUncovered] = [0, 0, 0, [] as string[]];
    for (const program of corpusPrograms()) {
      const r = await cranelift.compareSemantics(await inputOf(program.name), { plan });
      const layer = differentialToLayer(r);
      expect(layer.ok, `${program.name}: ${layer.evidence}`).toBe(true);
      expect(r.include_codegen_pipeline).toBe(true);
      expect(r.sandbox.imports.every((i) => i.startsWith("env."))).toBe(true);
      functions += r.totals.functions;
      compared += r.totals.compared_functions;
      for (const f of r.functions.filter((g) => g.status === "not_covered")) {
        expect(f.reason, `${program.name} ${f.clif_name}`).toBeTruthy();
        if (isMain(f)) mains++;
        else otherUncovered.push(`${program.name}:${f.symbol}`);
      }
    }
    expect(corpusPrograms()).toHaveLength(24);
    // Measured: 220 of 275 functions; the 55 others are the 48 mains and functions
    // whose every probe runs past 200 000 instructions (matrix products, FFTs).
    expect(compared / functions, `${compared}/${functions}; not covered besides main: ${otherUncovered.join(", ")}`).toBeGreaterThan(0.75);
    expect(mains).toBe(48);
    expect(otherUncovered.length).toBeLessThan(12);
  }, 600_000);

  it.each(["bitcount", "sha256", "quicksort"])("accepts every legitimate plan on %s", async (name) => {
    const input = await inputOf(name);
    for (const text of ["opt_level=none", "opt_level=speed", "opt_level=speed_and_size; remove_constant_phis, replace_redundant_loads, egraph_pass, egraph_pass", "opt_level=none; legalize, eliminate_unreachable_code, egraph_pass"]) {
      const layer = await craneliftSemanticsLayer(cranelift, input, { plan: parseCraneliftPlan(text) });
      expect(layer.ok, `${name} under ${text}: ${layer.evidence}`).toBe(true);
      expect(layer.evidence).toMatch(/^\d+ of \d+ function\(s\) compared in Cranelift's interpreter: \d+ run\(s\) agree/);
      expect(layer.evidence).toContain("AFTER = BEFORE after ");
    }
  }, 300_000);

  it("quicksort's calls through function pointers (call_indirect) run via the object's element segment", async () => {
    const r = await cranelift.compareSemantics(await inputOf("quicksort"), { plan: parseCraneliftPlan("opt_level=speed_and_size") }, { functions: ["quicksort_rec", "is_sorted_rec"] });
    for (const f of r.functions) {
      expect(f.status, JSON.stringify(f)).toBe("compared");
      expect(f.runs.some((run) => run.status === "same" && run.before.status === "returned")).toBe(true);
    }
  }, 120_000);

  it("opm verify: BEFORE the wasm, AFTER the CLIF a plan lowers — accepted, evidence counts what was compared and what not", async () => {
    const input = await inputOf("bitcount");
    const compiled = await cranelift.driver.request("compile", {
      input: { format: "wasm", base64: Buffer.from(input.bytes).toString("base64") }, steps: [], settings: { opt_level: "speed_and_size" }, include_clif: true, include_code: false,
    });
    const after = compiled.functions.map((f) => f.lowered_clif!).join("\n\n");
    const verdict = await verifyTransform({ compiler: "cranelift", before: { bytes: input.bytes }, after: { text: after } });
    expect(verdict.ok, JSON.stringify(verdict.layers)).toBe(true);
    const semantics = verdict.layers.find((l) => l.name === "semantics")!;
    expect(semantics.evidence).toMatch(/^11 of 13 function\(s\) compared in Cranelift's interpreter: \d+ run\(s\) agree on return values or trap, linear memory, globals and output/);
    expect(semantics.evidence).toContain("AFTER as given");
    expect(semantics.evidence).toContain("not covered: u0:1 (__original_main): BEFORE did not finish within 200000 instructions; u0:13 (main): BEFORE did not finish within 200000 instructions");
  }, 120_000);

  it("rejects mutated CLIF in functions that write linear memory, naming the function and what differed", async () => {
    for (const name of ["bitcount", "sha256"]) {
      const input = await inputOf(name);
      const lowered = await cranelift.driver.request("lower", { input: { format: "wasm", base64: Buffer.from(input.bytes).toString("base64") } });
      // Functions that store to linear memory and that the sandbox can run (not main).
      const identity = await cranelift.compareSemantics(input, { plan: parseCraneliftPlan("") });
      const runnable = new Set(identity.functions.filter((f) => f.status === "compared").map((f) => f.clif_name));
      const symbolOf = new Map(identity.functions.map((f) => [f.clif_name, f.symbol]));
      for (const kind of CLIF_MUTATION_KINDS) {
        const mutants = generateClifMutants(lowered.functions, kind, 2, `cranelift-semantics-test\0${name}`, (f) => runnable.has(f.clif_name) && / store .*heap /.test(f.clif));
        expect(mutants.length, `${name} ${kind}`).toBe(2);
        let rejected = 0;
        for (const m of mutants) {
          const verdict = await verifyTransform({ compiler: "cranelift", before: { bytes: input.bytes }, after: { text: m.text } });
          if (verdict.rejectedBy !== "semantics") continue;
          rejected++;
          const evidence = verdict.layers.find((l) => l.name === "semantics")!.evidence;
          expect(evidence).toContain(`function ${m.function} (${symbolOf.get(m.function)}) differs: ${m.function}(`);
          expect(evidence).toMatch(/in Cranelift's interpreter: (return values|outcome|memory|global|output|termination)/);
        }
        expect(rejected, `${name} ${kind}: ${mutants.map((m) => `${m.function} ${m.description}`).join("; ")}`).toBeGreaterThanOrEqual(1);
      }
    }
  }, 600_000);
});

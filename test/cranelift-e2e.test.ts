import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IrStore } from "../src/adapters/framework/ir-store.js";
import { compilerToProto, objectiveToProto } from "../src/kernel/plan/proto-mapping.js";
import type { ProblemInput } from "../src/adapters/framework/toolchain.js";
import type { PassOffer, Plan } from "../src/kernel/plan/index.js";
import {
  CraneliftToolchain, parseCraneliftPlan, validateCraneliftPlan, type DriverCatalog,
} from "../src/adapters/cranelift/index.js";
import { corpusPrograms } from "../bench/corpus/index.js";
import { Visibility } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { GreedySearch, planKey, runSearch } from "../src/client/orchestrator/index.js";
import { craneliftSemanticsLayer } from "../src/adapters/cranelift/differential-layer.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { spawnAdapter, type AdapterChild } from "./support/adapter-process.js";
import { testDatabases } from "./support/databases.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

const OPM = fileURLToPath(new URL("../bin/opm.js", import.meta.url));
const SMALL_CLIF = fileURLToPath(new URL("../src/adapters/cranelift/testdata/small.clif", import.meta.url));
const programPath = (name: string) => corpusPrograms().find((p) => p.name === name)!.path;
const stepsOf = (plan: Plan) => plan.steps.map((s) => ({ pass: s.pass, ...(s.value ? { value: s.value } : {}) }));

const cranelift = new CraneliftToolchain();
let catalog: PassOffer[];
let driverCatalog: DriverCatalog;

beforeAll(async () => {
  catalog = await cranelift.catalog();
  driverCatalog = await cranelift.driver.request("catalog");
});
afterAll(() => cranelift.close());

describe("Cranelift end to end: registry, real adapter processes, real driver, C through wasm", () => {
  let h: RegistryHarness;
  let alice: Identity;
  let work: string;
  let store: IrStore;
  const children: AdapterChild[] = [];

  beforeAll(async () => {
    h = await startHarness(testDatabases()[0]!);
    work = mkdtempSync(join(tmpdir(), "opm-cranelift-e2e-"));
    store = new IrStore(join(work, "ir"));
    alice = await h.identity("alice");
    await h.client(alice).registerParticipant({ publicKey: alice.keys.publicKeyRaw });
    for (const name of ["cranelift-a", "cranelift-b"]) {
      const identity = await h.identity(name);
      const child = spawnAdapter("cranelift", h.node.address, identity, join(work, name), ["--owner", "alice", "--ir-store", store.dir]);
      children.push(child);
      const admin = h.client(h.admin);
      for (let i = 0; ; i++) {
        if ((await admin.getActor({ name }).catch(() => undefined))?.actor) break;
        if (i > 600) throw new Error(`adapter ${name} never registered:\n${child.stderr()}`);
        await sleep(50);
      }
      await admin.admitAdapter({ adapter: name, keyId: identity.keys.keyId });
    }
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    await h?.close();
  });

  it.each(["bitcount", "sha256"])("%s: finds a verified plan below speed_and_size that the driver reproduces byte for byte", async (name) => {
    const prepared = await cranelift.prepare(programPath(name), "code-size");
    expect(prepared.input.format).toBe("wasm");
    store.put(prepared.input.bytes);
    const registry = h.client(alice);
    const info = await cranelift.info();
    const { problemId } = await registry.submitProblem({
      problem: {
        participant: "alice", compiler: compilerToProto("cranelift"), compilerVersion: info.version, objective: objectiveToProto("code-size"),
        irDigest: prepared.digest, irFormat: prepared.input.format, visibility: Visibility.PRIVATE, baseline: prepared.baseline.value, label: name,
        features: Object.entries(prepared.features).sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, value]) => ({ name: n, value })),
      },
    });
    // Greedy tries every move once in its first round, so the result does not depend
    // on which CPU-feature moves this machine offers.
    const space = cranelift.searchSpace(catalog, "code-size", 4);
    const result = await runSearch({ jobs: h.jobs(alice), problemId, strategy: new GreedySearch(space), maxEvaluations: 14, batchSize: 4 });
    expect(result.failures).toEqual([]);
    const best = result.best!;
    expect(best.value).toBeLessThan(prepared.baseline.value); // is_pic=true at least: calls through the GOT are shorter
    expect(best.plan.steps[0]).toEqual({ pass: "opt_level", value: "speed_and_size" });

    // Every signal is signed by an adapter, carries a passing verdict and the baseline.
    const signals = (await registry.listSignals({ problemId })).signals;
    expect(signals).toHaveLength(result.history.length);
    for (const s of signals) {
      expect(s.verdict?.ok).toBe(true);
      expect(s.signature?.signature.length).toBe(64);
      expect(s.baseline).toBe(prepared.baseline.value);
      expect(s.compilerVersion).toBe("0.112.3");
    }
    const bestSignal = signals.find((s) => planKey({ steps: stepsOf({ steps: s.pipeline }) }) === planKey(best.plan))!;
    expect(bestSignal.achieved).toBe(best.value);

    // Reproduce locally from the printed pipeline: same size, same machine code.
    const printed = cranelift.renderPlan(best.plan);
    const again = await cranelift.evaluate(prepared.input, parseCraneliftPlan(printed), "code-size");
    expect([again.value, again.outputDigest]).toEqual([best.value, bestSignal.outputDigest]);

    // … and from the driver directly, which shows the verifier ran after every step.
    const plan = validateCraneliftPlan(best.plan, driverCatalog);
    const compiled = await cranelift.driver.request("compile", {
      input: { format: "wasm", base64: Buffer.from(prepared.input.bytes).toString("base64") }, steps: plan.steps, settings: plan.settings, include_code: true,
    });
    expect(compiled.verified).toBe(true);
    expect(compiled.totals.code_bytes).toBe(best.value);
    expect(compiled.totals.output_digest).toBe(bestSignal.outputDigest);
    expect(compiled.functions.length).toBeGreaterThan(3);
    for (const f of compiled.functions) {
      expect(f.verifier).toEqual(["input", ...plan.steps, "codegen"].map((step) => ({ step, ok: true })));
    }
    for (const [setting, value] of Object.entries(plan.settings)) expect(compiled.settings[setting]).toBe(String(value));

    // Layer 3 as an adapter would run it on this evaluation: the wasm functions (shadow
    // stack, globals, libc calls) in the driver's sandbox, before and after the plan.
    const semantics = await craneliftSemanticsLayer(cranelift, prepared.input, { plan: best.plan });
    expect(semantics.ok, semantics.evidence).toBe(true);
    expect(semantics.evidence).toMatch(/^\d+ of \d+ function\(s\) compared in Cranelift's interpreter/);
  });

  it("keeps the semantics of CLIF functions under the best plan's Context steps (Cranelift's interpreter)", async () => {
    // Pure CLIF functions run in `interpret`; wasm functions need the sandbox of
    // `differential` (test/cranelift-semantics.test.ts).
    const clif = await cranelift.prepare(SMALL_CLIF, "code-size");
    const plans = ["opt_level=speed_and_size, is_pic=true; egraph_pass, remove_constant_phis, replace_redundant_loads, egraph_pass", "opt_level=none; legalize, eliminate_unreachable_code, egraph_pass"];
    for (const text of plans) {
      for (const [fn, args] of [["sum_to", [0]], ["sum_to", [10]], ["sum_to", [-3]], ["add3", [0, -3]], ["add3", [7, 9]]] as const) {
        const r = await cranelift.interpretCompare(clif.input, fn, args, parseCraneliftPlan(text));
        expect(r.before.status, `${fn}(${args.join(", ")}) under ${text}`).toBe("returned");
        expect(r.same, `${fn}(${args.join(", ")}) under ${text}`).toBe(true);
      }
    }
  });
});

const execFileAsync = promisify(execFile);

/** `opm optimize FILE --compiler cranelift --json` with its own embedded registry and local adapters. */
async function opmOptimize(file: string, maxEvals: number): Promise<Record<string, unknown>> {
  const { stdout } = await execFileAsync(process.execPath, [OPM, "optimize", file, "--compiler", "cranelift", "--max-evals", String(maxEvals), "--max-steps", "4", "--json"], {
    maxBuffer: 10 << 20,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("opm optimize --compiler cranelift (CLI)", () => {
  const dir = mkdtempSync(join(tmpdir(), "opm-cranelift-cli-"));
  const wasmFile = join(dir, "crc32.wasm");
  const inputs = new Map<string, ProblemInput>();
  beforeAll(async () => {
    const fromC = await cranelift.prepare(programPath("crc32"), "code-size");
    writeFileSync(wasmFile, fromC.input.bytes);
    inputs.set(".c", fromC.input).set(".wasm", fromC.input).set(".clif", (await cranelift.prepare(SMALL_CLIF, "code-size")).input);
  });

  // Each run starts its own registry and two adapters (about 10 s on an idle 2-core machine).
  it.each([
    { kind: ".c", file: () => programPath("crc32"), evals: 10, smaller: true },
    { kind: ".wasm", file: () => wasmFile, evals: 6, smaller: true },
    { kind: ".clif", file: () => SMALL_CLIF, evals: 6, smaller: false },
  ])("optimizes a $kind file and prints a plan that reproduces best exactly", async ({ kind, file, evals, smaller }) => {
    const input = inputs.get(kind)!;
    const out = await opmOptimize(file(), evals);
    expect(out).toMatchObject({ compiler: "cranelift", objective: "code-size", compilerVersion: "0.112.3", failedEvaluations: 0, unreproduced: [] });
    expect(out["evaluations"]).toBe(evals);
    expect(out["seconds"]).toBeGreaterThan(0);
    const baseline = out["baseline"] as number;
    const best = out["best"] as number;
    expect(best).toBeLessThanOrEqual(baseline);
    if (smaller) expect(best).toBeLessThan(baseline);
    expect(baseline).toBe((await cranelift.evaluate(input, { steps: [{ pass: "opt_level", value: "speed_and_size" }] }, "code-size")).value);
    // The printed plan and the printed pipeline text both give exactly `best`.
    expect((await cranelift.evaluate(input, out["plan"] as Plan, "code-size")).value).toBe(best);
    expect((await cranelift.evaluate(input, parseCraneliftPlan(out["pipeline"] as string), "code-size")).value).toBe(best);
  }, 180_000);
});

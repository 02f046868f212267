import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdapter } from "../src/adapters/framework/adapter-process.js";
import { IrStore } from "../src/adapters/framework/ir-store.js";
import { toolchainFor } from "../src/adapters/framework/toolchains.js";
import { corpusPrograms } from "../bench/corpus/index.js";
import { optimize, registrySignalSource } from "../src/client/orchestrator/index.js";
import { buildPlanSet, planSetVersion, rankPlans, readPlanSetFile, signPlanSet, writePlanSetFile } from "../src/client/planset/index.js";
import { createLogger } from "../src/kernel/logger/index.js";
import { planKey } from "../src/kernel/plan/index.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { testDatabases } from "./support/databases.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

/**
 * A plan set built on a registry is used by a search on it: bob searches two public
 * corpus programs through a real LLVM adapter; alice builds the plan set from what the
 * market shows her (ListMarketSignals), signs it, and her `--strategy transfer` search on
 * a third program evaluates the plan set's plans right after the default.
 */
describe.each(testDatabases().slice(0, 1))("plan set transfer on $kind", (database) => {
  let h: RegistryHarness;
  let work: string;
  const stop = new AbortController();
  const running: Array<Promise<void>> = [];
  const id: Record<string, Identity> = {};

  beforeAll(async () => {
    // One adapter: a spot check could never be answered and its signal would stay provisional (not in the market).
    h = await startHarness(database, { jobs: { spotCheckFraction: 0, newAdapterChecks: 0, checkNewBest: false } });
    work = mkdtempSync(join(tmpdir(), "opm-planset-"));
    for (const name of ["alice", "bob", "market-llvm"]) id[name] = await h.identity(name);
    const store = new IrStore(join(work, "ir"));
    running.push(runAdapter({
      registry: h.node.address, identity: id["market-llvm"]!, toolchain: await toolchainFor("llvm"), owner: "", irStore: store,
      concurrency: 2, leaseMs: 60_000, log: createLogger({ silent: true }), signal: stop.signal, maxPollMs: 100,
    }));
    const admin = h.client(h.admin);
    for (let i = 0; !(await admin.getActor({ name: "market-llvm" }).catch(() => undefined)); i++) {
      if (i > 600) throw new Error("adapter never registered");
      await sleep(50);
    }
    await admin.admitAdapter({ adapter: "market-llvm", keyId: id["market-llvm"]!.keys.keyId });
  }, 120_000);
  afterAll(async () => {
    stop.abort();
    await Promise.allSettled(running);
    await h?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("builds a signed plan set from the registry's signals, and a transfer search evaluates its plans first", async () => {
    const programs = corpusPrograms().filter((p) => ["bitcount", "base64", "chacha20"].includes(p.name));
    const market = (who: string) => ({ address: h.node.address, identity: id[who]!, irStore: new IrStore(join(work, `ir-${who}`)), parallelism: 2 });
    for (const program of programs.filter((p) => p.name !== "chacha20")) {
      const r = await optimize({ file: program.path, compiler: "llvm", objective: "ir-instcount", maxEvaluations: 12, strategy: "random", seed: 1, maxSteps: 8, market: market("bob"), visibility: "public" });
      expect(r.best).toBeLessThanOrEqual(r.baseline);
    }
    const signals = await registrySignalSource(h.client(id.alice!)).list({ compiler: "llvm", objective: "ir-instcount" });
    expect(signals.length).toBeGreaterThan(0);
    const set = signPlanSet(buildPlanSet(signals, { compiler: "llvm", objective: "ir-instcount" }), "alice", id.alice!.keys);
    expect(set.plans.length).toBeGreaterThan(0);
    const file = join(work, "planset.json");
    writePlanSetFile(file, set, id.alice!.keys.publicKeyRaw);
    expect(readPlanSetFile(file, [id.alice!.keys.keyId]).version).toBe(planSetVersion(set));

    const target = programs.find((p) => p.name === "chacha20")!;
    const result = await optimize({
      file: target.path, compiler: "llvm", objective: "ir-instcount", maxEvaluations: 1 + set.plans.length, strategy: "transfer", seed: 1, maxSteps: 8,
      market: market("alice"), visibility: "public",
    });
    expect(result.best).toBeLessThanOrEqual(result.baseline);
    const evaluated = (await h.jobs(id.alice!).listJobs({ problemId: result.problemId, limit: 1000 })).jobs
      .filter((j) => j.checkOf === "").map((j) => planKey({ steps: j.plan.map((s) => ({ pass: s.pass, value: s.value })) }));
    const expected = rankPlans(set, {}, "selection").map(planKey);
    expect(new Set(evaluated)).toEqual(new Set(["default=Oz", ...expected]));
  }, 600_000);
});

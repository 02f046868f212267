import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdapter } from "../src/adapters/framework/adapter-process.js";
import { IrStore } from "../src/adapters/framework/ir-store.js";
import { toolchainFor } from "../src/adapters/framework/toolchains.js";
import { corpusPrograms } from "../bench/corpus/index.js";
import { Compiler, Objective } from "../src/gen/openpassmarket/v1/common_pb.js";
import { ContractEdge_Kind } from "../src/gen/openpassmarket/v1/contracts_pb.js";
import { PlanSetSchema, type StoredPlanSet } from "../src/gen/openpassmarket/v1/planset_pb.js";
import { optimize, registrySignalSource, strategyNamed, type MarketSignal, type OptimizeResult } from "../src/client/orchestrator/index.js";
import { RecordedLog, reproduceCampaign, recordedMarket, toolchainHost } from "../src/client/backtest/index.js";
import { replayCommand } from "../src/cli/commands/replay.js";
import { replayDeltaExport } from "../src/ledger/index.js";
import { create } from "@bufbuild/protobuf";
import { PlanStepSchema } from "../src/gen/openpassmarket/v1/signal_pb.js";
import { readFileSync, writeFileSync } from "node:fs";
import type { StrategyContext } from "../src/client/orchestrator/strategy.js";
import { loadPlanSet } from "../src/client/orchestrator/transfer.js";
import { buildPlanSet, planSetVersion, rankPlans, readPlanSetFile, signPlanSet, verifyPlanSet, writePlanSetFile } from "../src/client/planset/index.js";
import { OpmError } from "../src/kernel/errors/index.js";
import { createLogger } from "../src/kernel/logger/index.js";
import { planKey } from "../src/kernel/plan/index.js";
import { ensureLedgerKey, type Identity } from "../src/kernel/pki/index.js";
import { testDatabases } from "./support/databases.js";
import { exportDeltaLog, replayJson } from "./support/delta-log.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

const LLVM_IR = { compiler: Compiler.LLVM, objective: Objective.IR_INSTCOUNT } as const;
const plansOf = (stored: StoredPlanSet) => stored.planSet!.plans.map((p) => planKey({ steps: p.steps.map((s) => ({ pass: s.pass, value: s.value })) }));

/**
 * One recorded market, two uses. Bob searches two public corpus programs through a real
 * LLVM adapter (random, seed 1: two campaigns). Backtests: the node's delta log, exported,
 * replays bob's search offline with its own strategy and seed (every decision re-made),
 * answers another strategy from the recorded evaluations (misses counted, or measured here
 * with --evaluate), catches a changed decision and refuses a tampered log. Plan sets: the
 * node builds the plan set from its accepted signals and signs it with its key
 * (BuildPlanSet); it is a node of the contract graph; alice's `--strategy transfer` search
 * loads it from the registry, evaluates its plans right after the default, and replays
 * offline from the log with the same plan set. A rebuild supersedes it; a tampered or
 * unsigned stored plan set is refused by the searcher.
 */
describe.each(testDatabases().slice(0, 1))("plan set transfer on $kind", (database) => {
  let h: RegistryHarness;
  let work: string;
  const stop = new AbortController();
  const running: Array<Promise<void>> = [];
  const id: Record<string, Identity> = {};
  const market = (who: string) => ({ address: h.node.address, identity: id[who]!, irStore: new IrStore(join(work, `ir-${who}`)), parallelism: 2 });
  let signals: MarketSignal[] = [];
  let version = "";
  let first: StoredPlanSet;
  /** Bob's random search of bitcount (seed 1): a recorded campaign to backtest. */
  let searched: OptimizeResult;
  let logFile = "";

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
    for (const program of corpusPrograms().filter((p) => ["bitcount", "base64"].includes(p.name))) {
      const r = await optimize({ file: program.path, compiler: "llvm", objective: "ir-instcount", maxEvaluations: 12, strategy: "random", seed: 1, maxSteps: 8, market: market("bob"), visibility: "public" });
      expect(r.best).toBeLessThanOrEqual(r.baseline);
      if (program.name === "bitcount") searched = r;
    }
    await h.client(id.alice!).registerParticipant({ publicKey: id.alice!.keys.publicKeyRaw });
    signals = await registrySignalSource(h.client(id.alice!)).list({ compiler: "llvm", objective: "ir-instcount" });
    version = signals[0]!.compilerVersion;
  }, 300_000);
  afterAll(async () => {
    stop.abort();
    await Promise.allSettled(running);
    await h?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("a signed plan set file built from the market's signals verifies and round-trips", () => {
    expect(signals.length).toBeGreaterThan(0);
    const set = signPlanSet(buildPlanSet(signals, { compiler: "llvm", objective: "ir-instcount" }), "alice", id.alice!.keys);
    expect(set.plans.length).toBeGreaterThan(0);
    const file = join(work, "planset.json");
    writePlanSetFile(file, set, id.alice!.keys.publicKeyRaw);
    expect(readPlanSetFile(file, [id.alice!.keys.keyId]).version).toBe(planSetVersion(set));
  });


  // ── Backtests (`opm replay LOG --strategy S`) on the delta log of bob's two searches ──

  it("replayed offline with its own strategy and seed, a recorded search re-makes every decision", async () => {
    logFile = join(work, "searches.opmdelta");
    await exportDeltaLog(h.node, logFile);
    // Two searched problems: the backtest asks which.
    await expect(replayCommand.run([logFile, "--strategy", "random", "--json"])).rejects.toThrow(/2 problems; choose one with --problem/);
    const r = await replayJson(logFile, "--strategy", "random", "--problem", searched.problemId);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ problemId: searched.problemId, strategy: "random", seed: 1, maxEvaluations: 12, misses: 0 });
    expect(r.json.campaign).toMatchObject({ id: searched.campaignId, strategy: "random", seed: 1 });
    expect(r.json.reproduction).toEqual({ reproduced: true, batches: r.json.campaign.batches, decisions: searched.evaluations });
    // Every plan it asks for was evaluated by the search, and it finds the search's best value.
    expect(r.json.answered).toBe(r.json.proposed);
    expect(r.json.best.value).toBe(searched.best);
  });

  it("another strategy is answered from the recorded evaluations and counts its misses; --evaluate measures them here", async () => {
    const r = await replayJson(logFile, "--strategy", "greedy", "--max-evals", "12", "--problem", searched.problemId);
    expect(r.code).toBe(0);
    expect(r.json.reproduction).toBeUndefined(); // no greedy campaign was recorded
    expect(r.json.proposed).toBe(12);
    expect(r.json.answered + r.json.misses).toBe(12);
    expect(r.json.answered).toBeGreaterThanOrEqual(1); // the compiler's default, which every search evaluates
    expect(r.json.misses).toBeGreaterThan(0);
    expect(r.json.firstMisses.length).toBe(Math.min(20, r.json.misses));
    expect(r.json.best.value).toBeLessThanOrEqual(r.json.baseline);

    const evaluated = await replayJson(logFile, "--strategy", "greedy", "--max-evals", "12", "--problem", searched.problemId, "--evaluate");
    expect(evaluated.json).toMatchObject({ proposed: 12, misses: 0 });
    expect(evaluated.json.answered + evaluated.json.evaluatedHere).toBe(12);
    expect(evaluated.json.evaluatedHere).toBeGreaterThan(0);
  }, 120_000);

  it("a backtest catches a decision that differs from the recorded one, and refuses a tampered log", async () => {
    const log = new RecordedLog(replayDeltaExport(readFileSync(logFile)).state);
    const campaign = log.campaigns.find((c) => c.id === searched.campaignId)!;
    const last = campaign.batches.at(-1)!;
    last.plans[0]!.steps.push(create(PlanStepSchema, { pass: "instcombine" }));
    const host = toolchainHost(false);
    try {
      const problem = log.problems.get(searched.problemId)!;
      const strategy = await strategyNamed("random").prepare({
        problem: { compiler: "llvm", compilerVersion: problem.compilerVersion, objective: "ir-instcount", features: Object.fromEntries(problem.features.map((f) => [f.name, f.value])), baseline: problem.baseline },
        space: await host.spaceOf(problem), seed: 1, budget: { maxEvaluations: 12 }, signals: recordedMarket(log, { participant: "bob" }),
      });
      const outcome = reproduceCampaign(strategy, campaign, log);
      expect(outcome).toMatchObject({ reproduced: false, batch: last.sequence });
      expect(outcome.reproduced === false && outcome.reason).toContain(planKey({ steps: last.plans[0]!.steps.map((s) => ({ pass: s.pass, value: s.value })) }));
    } finally {
      await host.close();
    }
    const bytes = readFileSync(logFile);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01; // a byte in the middle of the batches
    const tampered = join(work, "tampered.opmdelta");
    writeFileSync(tampered, bytes);
    await expect(replayCommand.run([tampered, "--strategy", "random", "--problem", searched.problemId, "--json"])).rejects.toThrow(/batch|signature|root|chain|checkpoint|does not/);
  });

  // ── Plan sets on the registry ──

  it("the node builds the plan set from its accepted signals, signs it with its key, and shows it in the contract graph", async () => {
    const alice = h.client(id.alice!);
    const built = await alice.buildPlanSet({ ...LLVM_IR, compilerVersion: version, maxPlans: 2 });
    expect(built.created).toBe(true);
    first = built.stored!;
    const nodeKey = ensureLedgerKey(h.dataDir);
    expect(first.planSet!.signature?.keyId).toBe(nodeKey.keyId);
    expect(verifyPlanSet(first.planSet!, first.publicKey, [nodeKey.keyId])).toBe(first.version);
    // Every signal here is public and accepted: the node's build is what anyone rebuilds from the market feed.
    expect(first.version).toBe(planSetVersion(buildPlanSet(signals, { compiler: "llvm", objective: "ir-instcount", compilerVersion: version, maxPlans: 2 })));
    expect(first).toMatchObject({ sequence: 1, supersedes: "", builtBy: "alice", ref: `plan-set/llvm-${version}/ir-instcount@1.0.0` });
    // Same signals, same plan set: nothing new stored.
    const again = await alice.buildPlanSet({ ...LLVM_IR, compilerVersion: version, maxPlans: 2 });
    expect(again.created).toBe(false);
    expect(again.stored!.version).toBe(first.version);

    const graph = (await alice.getContractGraph({ root: first.ref, depth: 1 })).graph!;
    const node = graph.nodes.find((n) => n.id === first.version)!;
    expect(node).toMatchObject({ kind: "plan-set", ref: first.ref, version: "1.0.0", publisher: "alice" });
    expect(node.body.case).toBe("planSet");
    expect(planSetVersion(node.body.value as never)).toBe(first.version);
    const audit = await h.client(h.admin).listAuditEvents({ afterSequence: 0n, limit: 1000, newest: true });
    expect(audit.events.some((e) => e.action === "planset.build" && e.object === first.version)).toBe(true);

    // An adapter may not ask for builds; bad requests name their field.
    await expect(h.client(id["market-llvm"]!).buildPlanSet({ ...LLVM_IR, compilerVersion: version })).rejects.toMatchObject({ code: "permission_denied" });
    await expect(alice.buildPlanSet({ compiler: Compiler.LLVM, objective: 0 as Objective, compilerVersion: version })).rejects.toThrow(/objective/);
    await expect(alice.buildPlanSet({ ...LLVM_IR, compilerVersion: "99.0.0" })).rejects.toMatchObject({ code: "failed_precondition" });
    await expect(alice.getPlanSet({ ...LLVM_IR, compilerVersion: "99.0.0" })).rejects.toMatchObject({ code: "not_found" });
  });

  it("a transfer search on the registry loads the node's plan set and evaluates its plans right after the default", async () => {
    const target = corpusPrograms().find((p) => p.name === "chacha20")!;
    const planned = plansOf(first);
    const result = await optimize({
      file: target.path, compiler: "llvm", objective: "ir-instcount", maxEvaluations: 1 + planned.length, strategy: "transfer", seed: 1, maxSteps: 8,
      market: market("alice"), visibility: "public",
    });
    expect(result.best).toBeLessThanOrEqual(result.baseline);
    const evaluated = (await h.jobs(id.alice!).listJobs({ problemId: result.problemId, limit: 1000 })).jobs
      .filter((j) => j.checkOf === "").map((j) => planKey({ steps: j.plan.map((s) => ({ pass: s.pass, value: s.value })) }));
    // The registry's set has 2 plans at most; one built locally from the signals would hold more.
    expect(new Set(evaluated)).toEqual(new Set(["default=Oz", ...rankPlans(first.planSet!, {}, "selection").map(planKey)]));

    // The campaign names the plan set, the delta log carries both: offline, the transfer
    // strategy re-makes every decision with the same plan set.
    const log = join(work, "log.opmdelta");
    await exportDeltaLog(h.node, log);
    const replayed = await replayJson(log, "--strategy", "transfer", "--problem", result.problemId);
    expect(replayed.json.campaign).toMatchObject({ id: result.campaignId, planSetVersion: first.version });
    expect(replayed.json.reproduction).toMatchObject({ reproduced: true, decisions: evaluated.length });
    expect(replayed.code).toBe(0);
  }, 300_000);

  it("a rebuild supersedes the previous version, and a tampered or unsigned plan set is refused", async () => {
    const alice = h.client(id.alice!);
    const second = (await alice.buildPlanSet({ ...LLVM_IR, compilerVersion: version, maxPlans: 1 })).stored!;
    expect(second).toMatchObject({ sequence: 2, supersedes: first.version, ref: `plan-set/llvm-${version}/ir-instcount@2.0.0` });
    expect((await alice.getPlanSet({ ...LLVM_IR, compilerVersion: version })).stored!.version).toBe(second.version);
    expect((await alice.getPlanSet({ version: first.version })).stored!.sequence).toBe(1);
    const graph = (await alice.getContractGraph({ root: second.ref, depth: 1 })).graph!;
    expect(graph.edges).toContainEqual(expect.objectContaining({ from: second.version, to: first.version, kind: ContractEdge_Kind.SUPERSEDES }));

    const source = registrySignalSource(alice);
    const query = { compiler: "llvm" as const, compilerVersion: version, objective: "ir-instcount" as const };
    expect((await source.newestPlanSet!(query))!.version).toBe(second.version);
    await expect(registrySignalSource(alice, [id.alice!.keys.keyId]).newestPlanSet!(query)).rejects.toThrow(/not trusted/);

    const db = h.node.database.db;
    const context = { problem: { ...query, features: {}, baseline: 1 }, signals: source } as unknown as StrategyContext;
    const tampered = fromBinary(PlanSetSchema, toBinary(PlanSetSchema, second.planSet!));
    tampered.plans[0]!.gain += 1;
    await db.updateTable("contracts").set({ body: toBinary(PlanSetSchema, tampered) }).where("id", "=", second.version).execute();
    await expect(loadPlanSet(context)).rejects.toSatisfy((e: unknown) => e instanceof OpmError && e.code === "unauthenticated" && /does not verify|content is/.test(e.message));
    const unsigned = fromBinary(PlanSetSchema, toBinary(PlanSetSchema, second.planSet!));
    unsigned.signature = undefined;
    await db.updateTable("contracts").set({ body: toBinary(PlanSetSchema, unsigned) }).where("id", "=", second.version).execute();
    await expect(loadPlanSet(context)).rejects.toThrow(/not signed/);
  });
});

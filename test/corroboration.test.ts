/**
 * A lie never becomes a result: a lying adapter (the real adapter loop and LLVM
 * toolchain, reporting a smaller metric than its output has, under a forged passing
 * verdict) serves a whole search, no spot check catches it, and still `optimize` never
 * reports its claims — it reproduces each candidate with the participant's own toolchain,
 * keeps the ones that do not reproduce as evidence, hands them to the registry (which
 * queues a spot check of each) and reports the best that does. Once honest adapters come
 * to run those checks, the liar is quarantined and its lies refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpusPrograms } from "../bench/corpus/index.js";
import { IrStore } from "../src/adapters/framework/ir-store.js";
import { JobState } from "../src/gen/openpassmarket/v1/job_service_pb.js";
import { SignalStatus } from "../src/gen/openpassmarket/v1/signal_pb.js";
import { LlvmToolchain } from "../src/adapters/llvm/index.js";
import { optimize, type OptimizeResult } from "../src/client/orchestrator/index.js";
import { ActorStatus } from "../src/gen/openpassmarket/v1/registry_service_pb.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { testDatabases } from "./support/databases.js";
import { startLyingAdapter, type LyingAdapter } from "./support/lying-adapter.js";
import { startInProcessAdapter, type InProcessAdapter } from "./support/lying-toolchains.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

describe.each(testDatabases())("optimize reports only corroborated results, on $kind", (database) => {
  let h: RegistryHarness;
  let alice: Identity;
  let work: string;
  let liar: LyingAdapter;
  let result: OptimizeResult | undefined;
  const honest: Array<{ adapter: InProcessAdapter; toolchain: LlvmToolchain }> = [];

  beforeAll(async () => {
    // No spot checks at all (no sample, no rule): the participant's own reproduction is the last line.
    h = await startHarness(database, { jobs: { spotCheckFraction: 0, newAdapterChecks: 0, checkNewBest: false } });
    work = mkdtempSync(join(tmpdir(), "opm-corroborate-"));
    alice = await h.identity("alice");
    const identity = await h.identity("liar");
    liar = startLyingAdapter(h.node.address, identity, "smaller-metric");
    const admin = h.client(h.admin);
    for (let i = 0; !(await admin.getActor({ name: "liar" }).catch(() => undefined))?.actor; i++) {
      if (i > 600) throw new Error(`the liar never registered:\n${liar.log()}`);
      await sleep(50);
    }
    await admin.admitAdapter({ adapter: "liar", keyId: identity.keys.keyId });
  }, 120_000);
  afterAll(async () => {
    await liar?.stop().catch(() => undefined);
    for (const { adapter, toolchain } of honest) await adapter.stop().then(() => toolchain.close()).catch(() => undefined);
    await h?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("never reports a lie as best: every claim is re-measured, the lies are evidence, the default is what stands", async () => {
    const file = corpusPrograms().find((p) => p.name === "crc32")!.path;
    result = await optimize({
      file, compiler: "llvm", objective: "ir-instcount", strategy: "random", seed: 1, maxEvaluations: 6, maxSteps: 8,
      market: { address: h.node.address, identity: alice, irStore: new IrStore(join(work, "ir")), parallelism: 2 },
      visibility: "public",
    });
    expect(result.evaluations).toBe(6);
    // The liar claimed less than the truth for every plan, the default included.
    expect(result.unreproduced.length).toBeGreaterThanOrEqual(1);
    expect(result.unreproduced.every((u) => u.adapter === "liar" && u.claimed < u.measured)).toBe(true);
    expect(result.best).toBe(result.baseline);
    expect(result.bestJobId).toBe("");
    // Each claim that did not reproduce was reported: its job now has a spot check (waiting
    // here: no adapter but the liar, which may not take it) and its signal is provisional.
    const jobs = (await h.jobs(alice).listJobs({ problemId: result.problemId })).jobs;
    for (const u of result.unreproduced) {
      expect(u.checkJobId).not.toBe("");
      expect(jobs.find((j) => j.id === u.jobId)!.signalStatus).toBe(SignalStatus.PROVISIONAL);
      expect(jobs.find((j) => j.id === u.checkJobId)).toMatchObject({ checkOf: u.jobId, state: JobState.QUEUED });
    }
  }, 180_000);

  it("makes the reports evidence: once honest adapters run the checks, the liar is quarantined and its lies refused", async () => {
    expect(result, "the search above must have run").toBeDefined();
    const admin = h.client(h.admin);
    for (const name of ["honest-a", "honest-b"]) {
      const toolchain = new LlvmToolchain();
      const identity = await h.identity(name);
      honest.push({ adapter: startInProcessAdapter(h.node.address, identity, toolchain), toolchain });
      while (!(await admin.getActor({ name }).catch(() => undefined))?.actor) await sleep(50);
      await admin.admitAdapter({ adapter: name, keyId: identity.keys.keyId });
    }
    // Each check disagrees with the liar; the tie-break, by the other honest adapter, decides.
    for (const deadline = Date.now() + 60_000; (await admin.getActor({ name: "liar" })).actor!.status !== ActorStatus.QUARANTINED;) {
      expect(Date.now(), `the liar was never quarantined:\n${honest.map((x) => x.adapter.log()).join("\n---\n")}`).toBeLessThan(deadline);
      await sleep(100);
    }
    const jobs = (await h.jobs(alice).listJobs({ problemId: result!.problemId })).jobs;
    for (const u of result!.unreproduced) expect(jobs.find((j) => j.id === u.jobId)!.signalStatus).toBe(SignalStatus.REFUSED);
    const [event] = (await admin.listAuditEvents({ limit: 1000, newest: true })).events.filter((e) => e.action === "adapter.quarantine" && e.object === "liar");
    expect(result!.unreproduced.some((u) => event!.detail.includes(u.jobId))).toBe(true);
  }, 120_000);
});

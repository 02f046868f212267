import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAdapter } from "../src/adapters/framework/adapter-process.js";
import { IrStore } from "../src/adapters/framework/ir-store.js";
import { toolchainFor } from "../src/adapters/framework/toolchains.js";
import { LlvmToolchain } from "../src/adapters/llvm/index.js";
import { corpusPrograms } from "../bench/corpus/index.js";
import { JobState } from "../src/gen/openpassmarket/v1/job_service_pb.js";
import { optimize, type OptimizeResult } from "../src/client/orchestrator/index.js";
import { createLogger } from "../src/kernel/logger/index.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { createRpcClient } from "../src/kernel/wire/index.js";
import { CampaignService } from "../src/gen/openpassmarket/v1/campaign_service_pb.js";
import { SyncService } from "../src/gen/openpassmarket/v1/sync_service_pb.js";
import { listReleases } from "../src/server/privacy/index.js";
import { testDatabases } from "./support/databases.js";
import { ledgerClient } from "./support/ledger-client.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

const program = corpusPrograms().find((p) => p.name === "crc32")!;
const WINDOW = 17; // "no byte sequence longer than 16 bytes"

/** Everything reachable in a reply, as bytes: strings (UTF-8), byte fields, numbers and bigints as text. */
function bytesOf(value: unknown, out: Buffer[] = []): Buffer[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value));
  else if (typeof value === "string") out.push(Buffer.from(value, "utf8"));
  else if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") out.push(Buffer.from(String(value)));
  else if (Array.isArray(value)) for (const v of value) bytesOf(v, out);
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) if (k !== "$typeName") bytesOf(v, out);
  return out;
}

function windowsOf(buffers: readonly Buffer[]): Set<string> {
  const windows = new Set<string>();
  for (const b of buffers) for (let i = 0; i + WINDOW <= b.length; i++) windows.add(b.subarray(i, i + WINDOW).toString("latin1"));
  return windows;
}

/**
 * The first WINDOW-byte sequence of `secret` found in `haystack`, or undefined. Sequences in
 * `boilerplate` (what the toolchain writes into every program's IR — the target triple the
 * adapter also declares in its public capabilities, the data layout — carry nothing of this
 * program) are not secret.
 */
function sharedWindow(secret: Buffer, haystack: Buffer[], boilerplate = new Set<string>()): string | undefined {
  const windows = windowsOf(haystack);
  for (let i = 0; i + WINDOW <= secret.length; i++) {
    const w = secret.subarray(i, i + WINDOW).toString("latin1");
    if (windows.has(w) && !boilerplate.has(w)) return w;
  }
  return undefined;
}

describe.each(testDatabases())("capture on $kind: what others can obtain of a private LLVM optimization", (database) => {
  let h: RegistryHarness;
  let work: string;
  let result: OptimizeResult;
  let ir: Buffer;
  let boilerplate: Set<string>;
  const stop = new AbortController();
  const running: Promise<void>[] = [];
  const id: Record<string, Identity> = {};

  beforeAll(async () => {
    h = await startHarness(database);
    work = mkdtempSync(join(tmpdir(), "opm-capture-"));
    const store = new IrStore(join(work, "ir"));
    for (const name of ["alice", "bob", "eve", "alice-llvm"]) id[name] = await h.identity(name);
    await h.client(id.bob!).registerParticipant({ publicKey: id.bob!.keys.publicKeyRaw });
    const log = createLogger({ silent: true });
    running.push(runAdapter({
      registry: h.node.address, identity: id["alice-llvm"]!, toolchain: await toolchainFor("llvm"), owner: "alice", irStore: store,
      concurrency: 2, leaseMs: 60_000, log, signal: stop.signal, maxPollMs: 100,
    }));
    const admin = h.client(h.admin);
    for (let i = 0; !(await admin.getActor({ name: "alice-llvm" }).catch(() => undefined)); i++) {
      if (i > 600) throw new Error("adapter never registered");
      await sleep(50);
    }
    await admin.admitAdapter({ adapter: "alice-llvm", keyId: id["alice-llvm"]!.keys.keyId });
    result = await optimize({
      file: program.path, compiler: "llvm", objective: "ir-instcount", maxEvaluations: 4, strategy: "random", seed: 3, maxSteps: 8,
      market: { address: h.node.address, identity: id.alice!, irStore: store, parallelism: 2 }, visibility: "private",
    });
    const llvm = new LlvmToolchain();
    ir = Buffer.from((await llvm.prepare(program.path, "ir-instcount")).input.bytes);
    writeFileSync(join(work, "empty.c"), "int main(void) { return 0; }\n");
    boilerplate = windowsOf([Buffer.from((await llvm.prepare(join(work, "empty.c"), "ir-instcount")).input.bytes)]);
    await llvm.close();
  }, 300_000);
  afterAll(async () => {
    stop.abort();
    await Promise.allSettled(running);
    await h?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("leaves others nothing of the IR or source, and no metric of the private problem but its recorded releases", async () => {
    expect(result.release).toMatchObject({ released: true, quantity: "improvement-bp", charged: true, cost: "ε 0.25" });
    const { problemId } = result;
    const jobIds = (await h.jobs(id.alice!).listJobs({ problemId })).jobs.map((j) => j.id);
    expect(jobIds.length).toBeGreaterThan(0);
    const recorded = (await listReleases(h.node.database.db)).map((r) => r.value);
    expect(recorded.length).toBe(1);

    // The exact results, as the owner reads them: none of these may reach another actor but as a release.
    const exact = (await h.client(id.alice!).listSignals({ problemId })).signals;
    expect(exact.length).toBeGreaterThan(0);
    // (The owner's own audit view does carry them, so the check below looks for the right text.)
    const own = JSON.stringify((await h.client(id.alice!).listAuditEvents({ limit: 1000 })).events.map((e) => e.detail));
    expect(own).toContain(`achieved ${exact[0]!.achieved} baseline ${exact[0]!.baseline}`);
    // The delta log as a peer would pull it now.
    await h.node.sync.batcher.runOnce(true);

    // Another participant, an unregistered certificate holder, and the node's operator (it
    // administers the node; it does not read organisations' exact results).
    for (const who of ["bob", "eve", "operator"]) {
      const identity = who === "operator" ? h.admin : id[who]!;
      const r = h.client(identity), jobs = h.jobs(identity), ledger = ledgerClient(h, identity);
      const sync = createRpcClient(SyncService, { address: h.node.address, identity, deadlineMs: 20_000 });
      const campaigns = createRpcClient(CampaignService, { address: h.node.address, identity, deadlineMs: 20_000 });
      const captured: unknown[] = [];
      const take = async (p: Promise<unknown>) => captured.push(await p.catch((err: unknown) => ({ refused: String((err as Error).message) })));
      await take(r.getProblem({ problemId }));
      await take(r.listSignals({ problemId }));
      await take(jobs.listJobs({ problemId }));
      for (const state of [JobState.QUEUED, JobState.LEASED, JobState.SUCCEEDED, JobState.DEAD]) await take(jobs.listJobs({ state }));
      await take(jobs.getJobs({ jobIds }));
      await take(r.listAuditEvents({ limit: 1000 }));
      await take(r.listAuditEvents({ limit: 1000, newest: true }));
      const market = await r.listMarketSignals({ limit: 1000 });
      captured.push(market);
      await take(r.listReleases({}));
      await take(r.getPrivacyBudget({ participant: "alice" }));
      await take(r.listMembers({ participant: "alice" }));
      await take(r.getActor({ name: "alice" }));
      await take(r.getActor({ name: "alice-llvm" }));
      await take(r.discoverPasses({}));
      await take(r.getContractGraph({}));
      await take(ledger.listEntries({}));
      await take(ledger.export({}));
      ledger.close();
      await take(r.getPlanSet({}));
      await take(campaigns.listCampaigns({}));
      await take(campaigns.listCampaigns({ participant: "alice" }));
      campaigns.close();
      const status = await sync.getSyncStatus({});
      captured.push(status);
      await take(sync.getDeltaCheckpoint({ fromSize: 0n }));
      if (status.size > 0n) await take(sync.getDeltaBatches({ fromSequence: 0n, toSize: status.size, maxBytes: 0 }));
      sync.close();

      const bytes = bytesOf(captured);
      expect(sharedWindow(ir, bytes, boilerplate), `${who}: IR bytes`).toBeUndefined();
      expect(sharedWindow(readFileSync(program.path), bytes), `${who}: source bytes`).toBeUndefined();
      // Every metric of the private problem that reached them is a recorded release.
      const mine = market.signals.filter((s) => s.problemId === problemId);
      expect(mine.length).toBe(1);
      for (const s of mine) {
        expect([s.baseline, s.achieved]).toEqual([0, 0]);
        expect(recorded).toContain(s.release!.value);
      }
      // Nor as text (audit details, error messages): an exact metric of the problem appears nowhere.
      const text = Buffer.concat(bytes).toString("latin1");
      for (const s of exact) {
        expect(text, `${who}: exact result of signal on ${problemId}`).not.toContain(`achieved ${s.achieved} baseline ${s.baseline}`);
      }
      const jobsSeen = captured.flatMap((c) => ((c as { jobs?: { problemId: string }[] }).jobs ?? []));
      expect(jobsSeen.filter((j) => j.problemId === problemId)).toEqual([]);
      const signalsSeen = captured.flatMap((c) => ((c as { signals?: { problemId: string; release?: unknown }[] }).signals ?? []));
      expect(signalsSeen.filter((s) => s.problemId === problemId && s.release === undefined)).toEqual([]);
    }
  }, 120_000);
});

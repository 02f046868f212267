/**
 * Campaigns end to end: a real registry over mTLS, two real `opm adapter llvm` processes
 * and `opm optimize` as users run it. A search killed with SIGKILL mid-search, handed off
 * to another member and resumed by them ends with the same best plan as an uninterrupted
 * search with the same seed, every evaluation enqueued once; Ctrl-C prints the best so far
 * and leaves the campaign resumable; --time-limit stops a search; misuse gets clear errors.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IrStore } from "../src/adapters/framework/ir-store.js";
import { CampaignState, type Campaign } from "../src/gen/openpassmarket/v1/campaign_pb.js";
import { CampaignService } from "../src/gen/openpassmarket/v1/campaign_service_pb.js";
import { optimize as optimizeInProcess, resumeSearch, STRATEGIES, type MarketTarget, type OptimizeOptions } from "../src/client/orchestrator/index.js";
import { writeIdentity, type Identity } from "../src/kernel/pki/index.js";
import { createRpcClient, type RpcClient } from "../src/kernel/wire/index.js";
import { spawnAdapter, type AdapterChild } from "./support/adapter-process.js";
import { testDatabases } from "./support/databases.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";
import { rejection } from "./support/rejection.js";

const OPM = fileURLToPath(new URL("../bin/opm.js", import.meta.url));
const PROGRAM = fileURLToPath(new URL("../bench/corpus/programs/bitcount.c", import.meta.url));
/** Six evaluations in batches of two: three batches, killed after the first is enqueued. */
const SEARCH = ["--compiler", "llvm", "--max-evals", "6", "--parallel", "1", "--seed", "11", "--max-steps", "8"];

interface Exit { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }
interface Result { best: number; baseline: number; pipeline: string; evaluations: number; campaignId: string; stopReason: string; resumedEvaluations: number; bestJobId: string; problemId: string }

describe("campaigns: resume, handoff, time limit and Ctrl-C through opm optimize", () => {
  let h: RegistryHarness;
  let work: string;
  let store: IrStore;
  const dirs: Record<string, string> = {};
  const ids: Record<string, Identity> = {};
  const adapters: AdapterChild[] = [];
  let campaigns: RpcClient<(typeof CampaignService)["method"]>;

  beforeAll(async () => {
    h = await startHarness(testDatabases()[0]!);
    work = mkdtempSync(join(tmpdir(), "opm-campaign-"));
    store = new IrStore(join(work, "ir"));
    for (const name of ["alice", "bob"]) {
      ids[name] = await h.identity(name);
      dirs[name] = join(work, name);
      writeIdentity(dirs[name]!, ids[name]!);
      await h.client(ids[name]!).registerParticipant({ publicKey: ids[name]!.keys.publicKeyRaw });
    }
    // bob may run alice's searches and read their results.
    for (const role of ["write", "read"]) await h.client(ids["alice"]!).addMember({ actor: "bob", role });
    campaigns = createRpcClient(CampaignService, { address: h.node.address, identity: ids["alice"]!, deadlineMs: 20_000 });
    const admin = h.client(h.admin);
    await Promise.all(["llvm-a", "llvm-b"].map(async (name) => {
      const identity = await h.identity(name);
      const child = spawnAdapter("llvm", h.node.address, identity, join(work, name), ["--owner", "alice", "--ir-store", store.dir, "--lease-ms", "30000"]);
      adapters.push(child);
      for (let i = 0; !(await admin.getActor({ name }).catch(() => undefined))?.actor; i++) {
        if (i > 1200) throw new Error(`adapter ${name} never registered:\n${child.stderr()}`);
        await sleep(50);
      }
      await admin.admitAdapter({ adapter: name, keyId: identity.keys.keyId });
    }));
  }, 120_000);
  afterAll(async () => {
    campaigns?.close();
    await Promise.all(adapters.map((a) => a.stop()));
    await h?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** `opm ARGS… --registry … --identity DIR(as) --json` as a child process. */
  function opm(as: string, args: string[]): { kill(signal: NodeJS.Signals): void; exit: Promise<Exit> } {
    const child = spawn(process.execPath, [OPM, ...args, "--registry", h.node.address, "--identity", dirs[as]!, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<Exit>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr })));
    return { kill: (signal) => child.kill(signal), exit };
  }
  const optimize = (as: string, args: string[]) => opm(as, ["optimize", PROGRAM, "--ir-store", store.dir, ...args]);
  const resultOf = (e: Exit): Result => {
    expect(e.code, e.stderr).toBe(0);
    return JSON.parse(e.stdout.trim().split("\n").at(-1)!) as Result;
  };
  /** The same search in this process (`optimize`, the client library `opm optimize` runs, with its default strategy), as alice. */
  const market = (): MarketTarget => ({ address: h.node.address, identity: ids["alice"]!, irStore: store, parallelism: 1 });
  const searchInProcess = (extra: Partial<OptimizeOptions>) => optimizeInProcess({
    file: PROGRAM, compiler: "llvm", objective: "ir-instcount", strategy: STRATEGIES[0]!.name, seed: 11, maxSteps: 8, maxEvaluations: 6,
    visibility: "private", market: market(), ...extra,
  });
  const campaign = async (id: string): Promise<Campaign> => (await campaigns.getCampaign({ campaignId: id })).campaign!;
  /** The newest campaign not in `known` once it has enqueued `evaluations` (polling: no timing assumed). */
  async function campaignReaching(known: readonly string[], evaluations: number): Promise<Campaign> {
    for (let i = 0; i < 3000; i++) {
      const found = (await campaigns.listCampaigns({})).campaigns.find((c) => !known.includes(c.id));
      if (found !== undefined && found.evaluations >= evaluations) return found;
      await sleep(20);
    }
    throw new Error(`no new campaign reached ${evaluations} evaluations`);
  }
  const plansOf = (c: Campaign) => c.batches.flatMap((b) => b.plans.map((p) => p.steps.map((s) => (s.value ? `${s.pass}=${s.value}` : s.pass)).join(" ")));

  it("resumes a killed search, handed off to another member, to the uninterrupted result with no evaluation repeated", { timeout: 300_000 }, async () => {
    const uninterrupted = await searchInProcess({});
    expect(uninterrupted).toMatchObject({ evaluations: 6, stopReason: "max_evaluations" });
    const whole = await campaign(uninterrupted.campaignId);
    expect(whole.state).toBe(CampaignState.FINISHED);

    // The same search through the CLI, killed (SIGKILL: no cleanup at all) once its first batch is enqueued.
    const run = optimize("alice", SEARCH);
    const started = await campaignReaching([whole.id], 2);
    run.kill("SIGKILL");
    expect((await run.exit).signal).toBe("SIGKILL");
    const killed = await campaign(started.id);
    expect(killed.state).toBe(CampaignState.ACTIVE);
    expect(killed.evaluations).toBeLessThan(6);

    // alice hands it to bob: alice can no longer resume it, bob can.
    const handoff = await opm("alice", ["campaign", "handoff", killed.id, "--to", "bob"]).exit;
    expect(handoff.code, handoff.stderr).toBe(0);
    expect(JSON.parse(handoff.stdout)).toMatchObject({ id: killed.id, holder: "bob", state: "active" });
    const refused = await rejection(resumeSearch({ campaignId: killed.id, file: PROGRAM, market: market() }));
    expect(refused.code).toBe("permission_denied");
    expect(refused.message).toContain(`campaign ${killed.id} is held by bob, not alice`);
    const resumed = resultOf(await optimize("bob", ["--resume", killed.id]).exit);

    // The same result as the uninterrupted search …
    expect(resumed).toMatchObject({ best: uninterrupted.best, pipeline: uninterrupted.pipeline, evaluations: 6, campaignId: killed.id, stopReason: "max_evaluations" });
    expect(resumed.resumedEvaluations).toBe(killed.evaluations);
    // … from the same plans in the same order, each evaluated once.
    const done = await campaign(killed.id);
    expect(done).toMatchObject({ state: CampaignState.FINISHED, finishReason: "max_evaluations", holder: "bob", evaluations: 6 });
    expect(plansOf(done)).toEqual(plansOf(whole));
    const jobIds = done.batches.flatMap((b) => b.jobIds);
    expect(new Set(jobIds).size).toBe(6);
    expect(done.batches.map((b) => b.enqueuedBy)).toEqual([...killed.batches.map(() => "alice"), ...Array(done.batches.length - killed.batches.length).fill("bob")]);
    const ordinary = (await h.jobs(ids["alice"]!).listJobs({ problemId: uninterrupted.problemId, limit: 1000 })).jobs.filter((j) => j.checkOf === "");
    expect(ordinary).toHaveLength(12); // six per search: nothing enqueued twice
    const events = (await h.client(h.admin).listAuditEvents({ limit: 1000, newest: true })).events.filter((e) => e.object === killed.id);
    expect(events.map((e) => [e.action, e.actor, e.detail])).toContainEqual(["campaign.handoff", "alice", "from alice to bob"]);
    expect(events.filter((e) => e.action === "campaign.resume").map((e) => e.actor)).toEqual(["bob"]);
  });

  it("prints the best so far on Ctrl-C and keeps the campaign resumable; --time-limit stops a search; misuse is refused clearly", { timeout: 300_000 }, async () => {
    const known = (await campaigns.listCampaigns({})).campaigns.map((c) => c.id);
    const run = optimize("alice", ["--compiler", "llvm", "--max-evals", "200", "--parallel", "1", "--seed", "3", "--max-steps", "8"]);
    const started = await campaignReaching(known, 4); // the first batch is done: there is a best so far
    run.kill("SIGINT");
    const stopped = resultOf(await run.exit);
    expect(stopped.campaignId).toBe(started.id);
    expect(stopped.stopReason).toBe("interrupted");
    expect(stopped.evaluations).toBeGreaterThanOrEqual(2);
    expect(stopped.evaluations).toBeLessThan(200);
    expect(stopped.best).toBeLessThanOrEqual(stopped.baseline);
    expect(stopped.bestJobId).not.toBe("");
    expect((await campaign(started.id)).state).toBe(CampaignState.ACTIVE);

    // A time limit alone: no limit by count, and the search ends by itself.
    const timed = await searchInProcess({ maxEvaluations: 0, timeLimitMs: 1000, seed: 4 });
    expect(timed.stopReason).toBe("time_limit");
    expect(timed.evaluations).toBeGreaterThan(0);
    expect(await campaign(timed.campaignId)).toMatchObject({ state: CampaignState.FINISHED, finishReason: "time_limit", budget: { maxEvaluations: 0, timeLimitMs: 1000n } });

    const finished = await rejection(resumeSearch({ campaignId: timed.campaignId, file: PROGRAM, market: market() }));
    expect(finished.code).toBe("failed_precondition");
    expect(finished.message).toContain(`campaign ${timed.campaignId} is finished (time_limit)`);
    const unknown = await optimize("alice", ["--resume", "no-such-campaign"]).exit;
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown campaign "no-such-campaign"');
  });
});

import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { DescService } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentId, objectId } from "../src/kernel/codec/index.js";
import { createRpcClient } from "../src/kernel/wire/index.js";
import { GetPrivacyBudgetRequestSchema, ReleaseResultRequestSchema } from "../src/gen/openpassmarket/v1/registry_service_pb.js";
import { DEFAULT_RELEASE_POLICY, getPrivacyBudget, releaseResult, type ReleasePolicy } from "../src/server/privacy/index.js";
import { CampaignService } from "../src/gen/openpassmarket/v1/campaign_service_pb.js";
import { PlanStepSchema } from "../src/gen/openpassmarket/v1/signal_pb.js";
import { SyncService } from "../src/gen/openpassmarket/v1/sync_service_pb.js";
import { CAMPAIGN_METHODS } from "../src/server/campaigns/index.js";
import { syncMethods } from "../src/server/sync/index.js";
import { LocalProblemSchema, Visibility, type LocalProblem } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { ActorStatus, ActorSchema } from "../src/gen/openpassmarket/v1/registry_service_pb.js";
import { JobState } from "../src/gen/openpassmarket/v1/job_service_pb.js";
import { PrivacyAccountant } from "../src/gen/openpassmarket/v1/ledger_pb.js";
import { create } from "@bufbuild/protobuf";
import type { Identity } from "../src/kernel/pki/index.js";
import { ACCESS_TABLE, AccessControl, GOVERNED_SERVICES, type AccessRule } from "../src/server/access/index.js";
import { registryMethods } from "../src/server/registry/index.js";
import { jobMethods, DEFAULT_JOBS_CONFIG } from "../src/server/jobs/index.js";
import { ledgerMethods } from "../src/server/registry-ledger/index.js";
import { saveActor } from "../src/server/registry/actor-repository.js";
import { bindMethods, createCallContext } from "../src/server/rpc/index.js";
import { testDatabases } from "./support/databases.js";
import { privateProblem, signedSignal } from "./support/fixtures.js";
import { approveAs, governorKey, ledgerClient } from "./support/ledger-client.js";
import { startHarness, type RegistryClient, type RegistryHarness } from "./support/registry-harness.js";
import { rejection } from "./support/rejection.js";

const VERSION = "14.0.6";
const CAMPAIGN_ID = "6f1c2a4e-0000-4000-8000-00000000c0de";

/** Every service of the contracts (`src/gen`, generated from proto/), read from the descriptors: a new service or RPC shows up here. */
async function contractServices(): Promise<DescService[]> {
  const dir = fileURLToPath(new URL("../src/gen/openpassmarket/v1/", import.meta.url));
  const out: DescService[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith("_pb.ts")).sort()) {
    const mod = (await import(`${dir}${file}`)) as Record<string, unknown>;
    for (const v of Object.values(mod)) if (typeof v === "object" && v !== null && (v as { kind?: unknown }).kind === "service") out.push(v as DescService);
  }
  return out;
}

/** `RegistryService.GetProblem` for every method of every contract service. */
async function contractMethods(): Promise<string[]> {
  return (await contractServices()).flatMap((s) => s.methods.map((m) => `${s.name}.${m.name}`)).sort();
}

/** Whether each method changes state, from the services' own method tables (a service missing here fails the reads test). */
function mutatesOf(): Map<string, boolean> {
  const out = new Map<string, boolean>();
  const add = (service: string, table: Record<string, { mutates: boolean }>) => {
    for (const [local, impl] of Object.entries(table)) out.set(`${service}.${local[0]!.toUpperCase()}${local.slice(1)}`, impl.mutates);
  };
  add("RegistryService", registryMethods({} as never) as never);
  add("JobService", jobMethods({} as never, DEFAULT_JOBS_CONFIG, {} as never) as never);
  add("LedgerService", ledgerMethods({} as never) as never);
  add("SyncService", syncMethods({} as never) as never);
  add("CampaignService", CAMPAIGN_METHODS as never);
  return out;
}

describe("the access table", () => {
  it("has exactly one rule for every RPC of every service in the contracts, and governs every service", async () => {
    const services = await contractServices();
    expect([...GOVERNED_SERVICES].sort()).toEqual(services.map((s) => s.typeName).sort());
    expect(Object.keys(ACCESS_TABLE).sort()).toEqual(await contractMethods());
  });

  it("refuses to bind a service with a method missing from the table, or a service it does not govern", () => {
    const { ["RegistryService.GetProblem"]: _dropped, ...partial } = ACCESS_TABLE;
    const service = { typeName: "openpassmarket.v1.RegistryService", methods: [{ name: "GetProblem", localName: "getProblem" }] } as unknown as DescService;
    expect(() => bindMethods(service, {}, { access: new AccessControl(partial) } as never)).toThrow("access table: no rule for openpassmarket.v1.RegistryService.GetProblem");
    const stranger = { typeName: "openpassmarket.v1.StrangerService", methods: [] } as unknown as DescService;
    expect(() => bindMethods(stranger, {}, { access: new AccessControl() } as never)).toThrow("service openpassmarket.v1.StrangerService is not governed");
  });
});

describe.each(testDatabases())("privacy and roles on $kind", (database) => {
  let h: RegistryHarness;
  const id: Record<string, Identity> = {};
  const c: Record<string, RegistryClient> = {};
  let problem: LocalProblem;
  let problemId = "";
  const signals: string[] = [];
  let jobId = "";
  /** The signal whose release the budget could not pay for (set by the budget test). */
  let unreleased = "";
  let adapter: Awaited<ReturnType<RegistryHarness["admittedAdapter"]>>;

  beforeAll(async () => {
    h = await startHarness(database);
    for (const name of ["alice", "bob", "m-lead", "m-write", "m-read", "m-audit", "eve"]) {
      id[name] = await h.identity(name);
      c[name] = h.client(id[name]!);
      if (name !== "eve") await c[name]!.registerParticipant({ publicKey: id[name]!.keys.publicKeyRaw });
    }
    for (const role of ["lead", "write", "read", "audit"]) {
      const added = await c.alice!.addMember({ actor: `m-${role}`, role });
      expect(added).toMatchObject({ created: true, membership: { participant: "alice", actor: `m-${role}`, role } });
    }
    problem = privateProblem("alice");
    problemId = (await c.alice!.submitProblem({ problem })).problemId;
    expect(problemId).toBe(objectId(LocalProblemSchema, problem));
    adapter = await h.admittedAdapter("alice-adapter", VERSION, "alice");
    for (let i = 0; i < 6; i++) {
      signals.push((await h.client(adapter.id).submitSignal({ signal: signedSignal(adapter.id, problem, { achieved: 400 - i }) })).signalId);
    }
    jobId = (await h.jobs(id.alice!).enqueueJobs({ problemId, plans: [{ steps: [{ pass: "instcombine" }] }] })).jobIds[0]!;
    // A campaign of alice's, stored as the campaign service stores one, for the rules keyed on campaigns.
    await h.node.database.db.insertInto("campaigns").values({
      id: CAMPAIGN_ID, problem_id: problemId, owner: "alice", holder: "alice", strategy: "random", seed: 1, max_evaluations: 10, time_limit_ms: 0,
      batch_size: 1, plan_set_version: "", state: "active", finish_reason: "", elapsed_ms: 0, evaluations: 0, batches: 0,
      created_by: "alice", created_at_ms: Date.now(), updated_at_ms: Date.now(),
    }).execute();
  });
  afterAll(async () => h?.close());

  it("refuses every read of a private problem's data to an unregistered identity and to another participant, or gives releases only", async () => {
    // Alice releases one result so there is something others may see.
    const made = await c.alice!.releaseResult({ problemId, signalId: signals[0]! });
    const releasedValue = made.release!.value;
    const reads = mutatesOf();
    const covered = new Set<string>();
    for (const who of ["eve", "bob"]) {
      const r = c[who]!, jobs = h.jobs(id[who]!);
      const campaigns = createRpcClient(CampaignService, { address: h.node.address, identity: id[who]!, deadlineMs: 20_000 });
      const sync = createRpcClient(SyncService, { address: h.node.address, identity: id[who]!, deadlineMs: 20_000 });
      const denied = async (key: string, p: Promise<unknown>) => {
        covered.add(key);
        const err = await rejection(p);
        expect(err.code, `${who} ${key}`).toBe("permission_denied");
        expect(err.message).toContain(key);
      };
      await denied("RegistryService.GetProblem", r.getProblem({ problemId }));
      await denied("RegistryService.ListSignals", r.listSignals({ problemId }));
      await denied("JobService.ListJobs", jobs.listJobs({ problemId }));
      await denied("RegistryService.GetPrivacyBudget", r.getPrivacyBudget({ participant: "alice" }));
      await denied("RegistryService.ListMembers", r.listMembers({ participant: "alice" }));
      covered.add("JobService.GetJobs");
      expect((await jobs.getJobs({ jobIds: [jobId] })).jobs).toEqual([]);
      covered.add("JobService.ListJobs");
      expect((await jobs.listJobs({ state: JobState.QUEUED })).jobs.map((j) => j.id)).not.toContain(jobId);
      covered.add("RegistryService.ListAuditEvents");
      if (who === "eve") await denied("RegistryService.ListAuditEvents", r.listAuditEvents({ limit: 1000 }));
      else {
        const events = (await r.listAuditEvents({ limit: 1000 })).events;
        expect(events.length).toBeGreaterThan(0);
        expect(events.every((e) => e.actor === "bob")).toBe(true);
        // Its own refusals name the problem it asked about; nothing else of alice's is there.
        expect(JSON.stringify(events.filter((e) => e.action !== "access.deny").map((e) => [e.object, e.detail]))).not.toContain(problemId);
      }
      covered.add("RegistryService.ListMarketSignals");
      const market = (await r.listMarketSignals({ limit: 1000 })).signals.filter((s) => s.problemId === problemId);
      expect(market.map((s) => s.signalId)).toEqual([signals[0]]);
      expect(market.map((s) => [s.baseline, s.achieved, s.release?.value])).toEqual([[0, 0, releasedValue]]);
      covered.add("RegistryService.ListReleases");
      expect((await r.listReleases({ problemId })).releases.map((x) => x.value)).toEqual([releasedValue]);
      // Public data stays readable: the actor catalog, contracts and the transparency log.
      for (const key of ["RegistryService.GetActor", "RegistryService.DiscoverPasses", "RegistryService.GetContractGraph"]) covered.add(key);
      expect((await r.getActor({ name: "alice" })).actor?.name).toBe("alice");
      await r.discoverPasses({});
      await r.getContractGraph({});
      const ledger = ledgerClient(h, id[who]!);
      for (const key of ["ListEntries", "ListProposals", "GetCheckpoint", "ProveInclusion", "ProveConsistency", "Export"]) covered.add(`LedgerService.${key}`);
      await ledger.listEntries({});
      ledger.close();
      // Campaigns: a search's record is the organisation's (`read`).
      await denied("CampaignService.GetCampaign", campaigns.getCampaign({ campaignId: CAMPAIGN_ID }));
      covered.add("CampaignService.ListCampaigns");
      if (who === "eve") await denied("CampaignService.ListCampaigns", campaigns.listCampaigns({}));
      else {
        expect((await campaigns.listCampaigns({})).campaigns).toEqual([]);
        // (Refused by the handler, which filters by `read`.)
        expect((await rejection(campaigns.listCampaigns({ participant: "alice" }))).code).toBe("permission_denied");
      }
      campaigns.close();
      // Plan sets are built from public signals and releases only: open to all (none built here).
      covered.add("RegistryService.GetPlanSet");
      expect(await r.getPlanSet({}).then(() => "ok", (e: { code?: string }) => e.code)).not.toBe("permission_denied");
      // The delta log carries only what may cross nodes (test/sync-nodes.test.ts captures it): open to peers and replayers.
      for (const key of ["GetDeltaCheckpoint", "GetDeltaBatches", "GetSyncStatus"]) covered.add(`SyncService.${key}`);
      const size = (await sync.getSyncStatus({})).size;
      await sync.getDeltaCheckpoint({ fromSize: 0n });
      if (size > 0n) await sync.getDeltaBatches({ fromSequence: 0n, toSize: size, maxBytes: 0 });
      sync.close();
    }
    expect([...(await contractMethods())].filter((k) => !reads.has(k)), "services missing from mutatesOf()").toEqual([]);
    const readMethods = [...reads].filter(([, mutates]) => !mutates).map(([k]) => k).sort();
    expect([...covered].sort()).toEqual(readMethods);
    // The owner and its members with `read` (and its adapter) read it exactly.
    for (const who of ["alice", "m-read"]) expect((await c[who]!.listSignals({ problemId })).signals.length).toBe(6);
    expect((await h.client(adapter.id).getProblem({ problemId })).problem?.participant).toBe("alice");
    await expect(c["m-write"]!.getProblem({ problemId })).rejects.toMatchObject({ code: "permission_denied" });
    // A refusal is audited.
    const denials = (await h.client(h.admin).listAuditEvents({ limit: 1000, newest: true })).events.filter((e) => e.action === "access.deny");
    expect(denials.some((e) => e.actor === "eve" && e.object === "RegistryService.GetProblem")).toBe(true);
  });

  it("lets members act by role: `write` runs searches, `read` reads exact results; others (the operator too) see results withheld", async () => {
    const jobsOf = (who: string) => h.jobs(id[who]!);
    const plan = [{ pass: "gvn" }];
    const [mine] = (await jobsOf("m-write").enqueueJobs({ problemId, plans: [{ steps: plan }] })).jobIds;
    for (const who of ["m-read", "m-audit", "m-lead", "bob"]) {
      const err = await rejection(jobsOf(who).enqueueJobs({ problemId, plans: [{ steps: plan }] }));
      expect([err.code, err.message], who).toEqual(["permission_denied", expect.stringContaining('needs role `write` in organisation "alice"')]);
    }
    // Alice's adapter runs the queued jobs (the member's and the one from the set-up).
    const claimed = (await adapter.jobs.claimJobs({ max: 10 })).jobs;
    expect(claimed.map((j) => j.job!.id).sort()).toEqual([jobId, mine!].sort());
    const signalOf: Record<string, string> = {};
    for (const j of claimed) {
      const signal = signedSignal(adapter.id, problem, { jobId: j.job!.id, pipeline: j.job!.plan.map((p) => create(PlanStepSchema, p)), achieved: j.job!.id === mine ? 390 : 391 });
      signalOf[j.job!.id] = (await adapter.jobs.completeJob({ jobId: j.job!.id, claimToken: j.claimToken, signal })).signalId;
    }
    // Exact metrics: `read` members, the owner and its adapters; a `write`-only member sees none of the jobs (running a search needs both roles).
    for (const who of ["alice", "m-read"]) {
      expect((await jobsOf(who).getJobs({ jobIds: [mine!] })).jobs.map((j) => [j.id, j.signalMetrics?.baseline, j.signalMetrics?.achieved]), who).toEqual([[mine, 420, 390]]);
    }
    expect((await adapter.jobs.getJobs({ jobIds: [mine!] })).jobs[0]?.signalMetrics?.achieved).toBe(390);
    for (const who of ["m-write", "m-audit", "m-lead", "bob", "eve"]) expect((await jobsOf(who).getJobs({ jobIds: [mine!] })).jobs, who).toEqual([]);
    expect((await h.jobs(h.admin).getJobs({ jobIds: [mine!] })).jobs).toEqual([]);
    // `write` reports a result its own toolchain did not reproduce; `read` alone may not.
    const report = { jobId: mine!, signalId: signalOf[mine!]!, reproduced: 400, reproducedOutputDigest: contentId(new TextEncoder().encode("other")) };
    const denied = await rejection(jobsOf("m-read").reportDiscrepancy(report));
    expect([denied.code, denied.message]).toEqual(["permission_denied", expect.stringContaining('needs role `write` in organisation "alice"')]);
    expect(await jobsOf("m-write").reportDiscrepancy(report)).toMatchObject({ checkQueued: true });

    // The audit log: who did what stays visible to the operator and to `audit` members, the
    // private problem's results (signal metrics, discrepancy evidence) only to `read` members.
    const eventsOf = async (who: Identity) => (await h.client(who).listAuditEvents({ limit: 1000, newest: true })).events;
    const about = (events: Awaited<ReturnType<typeof eventsOf>>) => ({
      submit: events.find((e) => e.action === "signal.submit" && e.object === signalOf[mine!]),
      discrepancy: events.find((e) => e.action === "signal.discrepancy" && e.object === mine),
      enqueue: events.find((e) => e.action === "jobs.enqueue" && e.actor === "m-write"),
      release: events.find((e) => e.action === "privacy.release"),
    });
    const owner = about(await eventsOf(id.alice!));
    expect(owner.submit?.detail).toContain("achieved 390 baseline 420");
    expect(owner.discrepancy?.detail).toContain("m-write reproduced 400");
    for (const who of [h.admin, id["m-audit"]!]) {
      const seen = about(await eventsOf(who));
      expect([seen.submit?.actor, seen.discrepancy?.actor, seen.enqueue?.detail], who.name).toEqual(["alice-adapter", "m-write", "1 jobs"]);
      for (const e of [seen.submit!, seen.discrepancy!]) {
        expect(e.detail, `${who.name} ${e.action}`).toBe('withheld: about a private problem of "alice" (its exact results are readable by its `read` members)');
      }
      // Releases are public by design: their events (budget spending) stay whole.
      expect(seen.release?.detail).toContain("participant alice family llvm/ir-instcount");
    }
    const operatorView = JSON.stringify((await eventsOf(h.admin)).map((e) => [e.object, e.detail]));
    expect(operatorView).not.toContain("achieved 390");
    expect(operatorView).not.toContain("reproduced 400");
  });

  it("charges a release within the budget; one beyond it is RESOURCE_EXHAUSTED and changes nothing", async () => {
    await expect(c["m-write"]!.releaseResult({ problemId, signalId: signals[1]! })).rejects.toMatchObject({ code: "permission_denied", message: expect.stringContaining("`lead`") });
    const spentOf = async () => (await c["m-audit"]!.getPrivacyBudget({ participant: "alice", family: "llvm/ir-instcount" })).budgets[0]!;
    const before = await spentOf();
    // The built-in default: ε 1 per family, ε 0.25 per release; one release was made above.
    expect(before).toMatchObject({ accountant: "pure-dp", totalNano: 1_000_000_000n, spentNano: 250_000_000n, policy: "built-in default" });
    const again = await c.alice!.releaseResult({ problemId, signalId: signals[0]! });
    expect(again.charged).toBe(false);
    for (const s of signals.slice(1, 3)) {
      const r = await c["m-lead"]!.releaseResult({ problemId, signalId: s });
      expect(r).toMatchObject({ charged: true, release: { costNano: 250_000_000n, clampMin: 0n, clampMax: 5000n, quantity: "improvement-bp" } });
    }
    // ε 0.25 remains: of two concurrent releases (two callers, two signed calls) exactly one is made.
    const race = await Promise.allSettled([3, 4].map((i) => c[i === 3 ? "m-lead" : "alice"]!.releaseResult({ problemId, signalId: signals[i]! })));
    expect(race.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<{ charged: boolean }>).value.charged)).toEqual([true]);
    const lost = race.findIndex((r) => r.status === "rejected");
    expect((race[lost] as PromiseRejectedResult).reason).toMatchObject({ code: "resource_exhausted" });
    unreleased = signals[3 + lost]!;
    const full = await spentOf();
    expect([full.spentNano, full.remainingNano, full.releases]).toEqual([1_000_000_000n, 0n, 4]);
    const auditBefore = (await h.client(h.admin).listAuditEvents({ limit: 1000, newest: true })).events.filter((e) => e.action === "privacy.release").length;
    const err = await rejection(c.alice!.releaseResult({ problemId, signalId: unreleased }));
    expect(err.code).toBe("resource_exhausted");
    expect(err.message).toContain('privacy budget of participant "alice" for family "llvm/ir-instcount"');
    expect(err.message).toContain("ε 0 of 1 remains");
    expect(await spentOf()).toEqual(full);
    expect((await c.bob!.listReleases({ problemId })).releases.length).toBe(4);
    const auditAfter = (await h.client(h.admin).listAuditEvents({ limit: 1000, newest: true })).events.filter((e) => e.action === "privacy.release").length;
    expect(auditAfter).toBe(auditBefore);
  });

  it("refreshes a budget once its policy's period has passed: releases and budget reads agree (an injected clock)", async () => {
    const DAY = 86_400_000, t0 = Date.UTC(2027, 0, 1);
    // The built-in default with a daily refresh (the ledger's refresh_period_ms, shown above, sets it).
    const daily: ReleasePolicy = { ...DEFAULT_RELEASE_POLICY, source: "daily test policy", refreshPeriodMs: DAY };
    const policies = { policyFor: async () => daily };
    const carol = await h.identity("carol");
    await h.client(carol).registerParticipant({ publicKey: carol.keys.publicKeyRaw });
    const theirs = privateProblem("carol", "carol-crc");
    const pid = (await h.client(carol).submitProblem({ problem: theirs })).problemId;
    const a = await h.admittedAdapter("carol-adapter", VERSION, "carol");
    const sig: string[] = [];
    for (let i = 0; i < 6; i++) sig.push((await h.client(a.id).submitSignal({ signal: signedSignal(a.id, theirs, { achieved: 410 - i }) })).signalId);
    const at = (now: number) => createCallContext(h.node.database.db, { actor: "carol", certificateFingerprint: "", method: "test", correlationId: `refresh-${now}`, requestDigest: "", now });
    const remaining = async (now: number) => (await getPrivacyBudget(at(now), policies, create(GetPrivacyBudgetRequestSchema, { participant: "carol", family: "llvm/ir-instcount" }))).budgets[0]!.remainingNano;
    const release = (now: number, i: number) => releaseResult(at(now), policies, create(ReleaseResultRequestSchema, { problemId: pid, signalId: sig[i]! }));
    for (let i = 0; i < 4; i++) expect((await release(t0 + 1_000 * (i + 1), i)).charged).toBe(true);
    expect(await remaining(t0 + DAY - 1)).toBe(0n);
    expect((await rejection(release(t0 + DAY - 1, 4))).code).toBe("resource_exhausted");
    expect(await remaining(t0 + DAY)).toBe(1_000_000_000n);
    const next = await release(t0 + DAY, 4);
    expect([next.charged, next.budget?.spentNano, next.budget?.remainingNano]).toEqual([true, 250_000_000n, 750_000_000n]);
    // Asking again for a release made before the refresh re-samples nothing and charges nothing.
    expect((await release(t0 + DAY + 1, 0)).charged).toBe(false);
    expect(await remaining(t0 + DAY + 2)).toBe(750_000_000n);
  });

  it("takes a privacy policy from the ledger only once k of n governors approved it, and at once", async () => {
    const gov: Record<string, Identity> = {};
    for (const g of ["g1", "g2", "g3"]) gov[g] = await h.identity(g);
    const admin = ledgerClient(h, h.admin);
    const genesis = (await admin.init({ governors: ["g1", "g2", "g3"].map((g) => governorKey(gov[g]!)), threshold: 2 })).proposal!;
    admin.close();
    const lc: Record<string, ReturnType<typeof ledgerClient>> = {};
    for (const g of ["g1", "g2", "g3"]) {
      lc[g] = ledgerClient(h, gov[g]!);
      await lc[g]!.registerGovernor({ publicKey: gov[g]!.keys.publicKeyRaw });
    }
    await approveAs(lc.g1!, gov.g1!, genesis);
    await approveAs(lc.g2!, gov.g2!, genesis);
    const proposal = (await lc.g1!.propose({
      kind: {
        case: "privacyPolicyUpdate",
        value: {
          policyId: "generous", family: "llvm/ir-instcount", accountant: PrivacyAccountant.PURE, totalEpsilon: "10", totalDelta: "0", version: 1n,
          releaseCost: "1", clampMin: 0n, clampMax: 2000n, reason: "test", refreshPeriodMs: 30n * 86_400_000n,
        },
      },
    })).proposal!;
    await approveAs(lc.g1!, gov.g1!, proposal);
    // One of two approvals: still the default, still exhausted.
    expect((await c.alice!.getPrivacyBudget({ family: "llvm/ir-instcount" })).budgets[0]).toMatchObject({ policy: "built-in default", remainingNano: 0n });
    expect((await rejection(c.alice!.releaseResult({ problemId, signalId: unreleased }))).code).toBe("resource_exhausted");
    await approveAs(lc.g2!, gov.g2!, proposal);
    const budget = (await c.alice!.getPrivacyBudget({ family: "llvm/ir-instcount" })).budgets[0]!;
    expect(budget).toMatchObject({ totalNano: 10_000_000_000n, spentNano: 1_000_000_000n, remainingNano: 9_000_000_000n });
    expect(budget.policy).toMatch(/^ledger entry \d+ \(policy generous v1\)$/);
    expect((await c.alice!.getPrivacyBudget({ family: "llvm/ir-instcount" })).policy).toContain("refreshed every 2592000000 ms");
    const r = await c.alice!.releaseResult({ problemId, signalId: unreleased });
    expect(r).toMatchObject({ charged: true, release: { costNano: 1_000_000_000n, clampMin: 0n, clampMax: 2000n, mechanism: "discrete-laplace(scale=2000)" } });
    for (const g of Object.values(lc)) g.close();
  });

  it("decides every role × every method from the one table", async () => {
    const db = h.node.database.db;
    await saveActor(db, create(ActorSchema, { name: "gov-x", kind: "governor", publicKey: new Uint8Array(32), status: ActorStatus.ADMITTED }), "00");
    const access = new AccessControl();
    const callers = ["alice", "m-lead", "m-write", "m-read", "m-audit", "alice-adapter", "bob", "eve", h.admin.name, "gov-x"] as const;
    const kindOf: Record<string, string> = {
      alice: "participant", "m-lead": "participant", "m-write": "participant", "m-read": "participant", "m-audit": "participant", bob: "participant",
      "alice-adapter": "adapter", [h.admin.name]: "admin", "gov-x": "governor",
    };
    // Every organisation-keyed rule names alice's organisation through one of these fields.
    const request = { problemId, participant: "alice", jobId, campaignId: CAMPAIGN_ID, problem: { participant: "alice" } };
    const all = new Set<string>(callers);
    const only = (...who: string[]) => new Set(who);
    /** Who a rule lets in, by its meaning (for RPCs added after this list was written). */
    const allowedBy = (rule: AccessRule): Set<string> => {
      switch (rule.who) {
        case "anyone": case "jobs-reader": return all;
        case "registered": return new Set(callers.filter((c) => c !== "eve"));
        case "operator": return only(h.admin.name);
        case "kind": return new Set(callers.filter((c) => rule.kinds.includes(kindOf[c] ?? "")));
        case "role": return only("alice", `m-${rule.role}`);
        case "problem-reader": return only("alice", "m-read", "alice-adapter");
        case "audit-reader": return new Set(callers.filter((c) => kindOf[c] === "participant" || c === h.admin.name));
        // This AccessControl has no peer authority: only the operator reads the delta log.
        case "peer": return only(h.admin.name);
      }
    };
    /** Who each RPC is meant to let in (the policy, written out); RPCs not listed follow their rule's meaning. */
    const intended = (key: string): Set<string> | undefined => {
      switch (key) {
        case "RegistryService.SubmitProblem": case "JobService.EnqueueJobs": case "JobService.ReportDiscrepancy": return only("alice", "m-write");
        case "RegistryService.ReleaseResult": case "RegistryService.AddMember": case "RegistryService.RemoveMember": case "RegistryService.ListMembers": return only("alice", "m-lead");
        case "RegistryService.GetPrivacyBudget": return only("alice", "m-audit");
        case "RegistryService.GetProblem": case "RegistryService.ListSignals": case "JobService.ListJobs": return only("alice", "m-read", "alice-adapter");
        // Every participant audits its own organisation (a member identity is a participant too).
        case "RegistryService.ListAuditEvents": return only("alice", "m-lead", "m-write", "m-read", "m-audit", "bob", h.admin.name);
        case "RegistryService.AdmitAdapter": case "LedgerService.Init": return only(h.admin.name);
        case "RegistryService.PublishContracts": return only("alice-adapter", h.admin.name);
        case "RegistryService.SubmitSignal": case "JobService.ClaimJobs": case "JobService.Heartbeat": case "JobService.CompleteJob": case "JobService.FailJob": return only("alice-adapter");
        case "LedgerService.Propose": case "LedgerService.Approve": return only("gov-x");
        case "JobService.GetJobs": case "RegistryService.ListMarketSignals": case "RegistryService.ListReleases": case "RegistryService.GetActor":
        case "RegistryService.DiscoverPasses": case "RegistryService.GetContractGraph": case "RegistryService.RegisterAdapter": case "RegistryService.RegisterParticipant":
          return all;
        default:
          return undefined;
      }
    };
    const methods = await contractMethods();
    expect(methods.length).toBeGreaterThan(40);
    for (const key of methods) {
      const [service, method] = key.split(".");
      const rule = ACCESS_TABLE[key];
      expect(rule, `${key} has a rule`).toBeDefined();
      const want = intended(key) ?? allowedBy(rule!);
      for (const caller of callers) {
        const ctx = createCallContext(db, { actor: caller, certificateFingerprint: "", method: key, correlationId: "matrix", requestDigest: "", now: Date.now() });
        const got = await access.authorize(ctx, `/openpassmarket.v1.${service}/${method}`, request).then(() => true, (err: { code?: string; message?: string }) => {
          expect(err.code, `${caller} ${key}: ${err.message}`).toBe("permission_denied");
          if (rule!.who === "role") expect(err.message, `${caller} ${key}`).toContain(`needs role \`${rule!.role}\``);
          return false;
        });
        expect(got, `${caller} × ${key}`).toBe(want.has(caller));
      }
    }
  });
});

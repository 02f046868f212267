import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectId } from "../src/kernel/codec/index.js";
import { LocalProblemSchema, Visibility, type LocalProblem } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { ActorStatus, ActorSchema } from "../src/gen/openpassmarket/v1/registry_service_pb.js";
import { JobState } from "../src/gen/openpassmarket/v1/job_service_pb.js";
import { PrivacyAccountant } from "../src/gen/openpassmarket/v1/ledger_pb.js";
import { create } from "@bufbuild/protobuf";
import type { Identity } from "../src/kernel/pki/index.js";
import { ACCESS_TABLE, AccessControl, GOVERNED_SERVICES } from "../src/server/access/index.js";
import { registryMethods } from "../src/server/registry/index.js";
import { jobMethods, DEFAULT_JOBS_CONFIG } from "../src/server/jobs/index.js";
import { ledgerMethods } from "../src/server/registry-ledger/index.js";
import { saveActor } from "../src/server/registry/actor-repository.js";
import { createCallContext } from "../src/server/rpc/index.js";
import { testDatabases } from "./support/databases.js";
import { privateProblem, signedSignal } from "./support/fixtures.js";
import { approveAs, governorKey, ledgerClient } from "./support/ledger-client.js";
import { startHarness, type RegistryClient, type RegistryHarness } from "./support/registry-harness.js";
import { rejection } from "./support/rejection.js";

const VERSION = "14.0.6";

/** Every method of the governed services with whether it changes state, from the services' own tables. */
function methodsOf(): Map<string, boolean> {
  const out = new Map<string, boolean>();
  const add = (service: string, table: Record<string, { mutates: boolean }>) => {
    for (const [local, impl] of Object.entries(table)) out.set(`${service}.${local[0]!.toUpperCase()}${local.slice(1)}`, impl.mutates);
  };
  add("RegistryService", registryMethods({} as never) as never);
  add("JobService", jobMethods({} as never, DEFAULT_JOBS_CONFIG, {} as never) as never);
  add("LedgerService", ledgerMethods({} as never) as never);
  return out;
}

describe("the access table", () => {
  it("has exactly one rule for every method of every governed service", () => {
    expect(GOVERNED_SERVICES.length).toBe(3);
    expect([...methodsOf().keys()].sort()).toEqual(Object.keys(ACCESS_TABLE).sort());
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
  });
  afterAll(async () => h?.close());

  it("refuses every read of a private problem's data to an unregistered identity and to another participant, or gives releases only", async () => {
    // Alice releases one result so there is something others may see.
    const made = await c.alice!.releaseResult({ problemId, signalId: signals[0]! });
    const releasedValue = made.release!.value;
    const reads = methodsOf();
    const covered = new Set<string>();
    for (const who of ["eve", "bob"]) {
      const r = c[who]!, jobs = h.jobs(id[who]!);
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
    }
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

  it("charges a release within the budget; one beyond it is RESOURCE_EXHAUSTED and changes nothing", async () => {
    await expect(c["m-write"]!.releaseResult({ problemId, signalId: signals[1]! })).rejects.toMatchObject({ code: "permission_denied", message: expect.stringContaining("`lead`") });
    const spentOf = async () => (await c["m-audit"]!.getPrivacyBudget({ participant: "alice", family: "llvm/ir-instcount" })).budgets[0]!;
    const before = await spentOf();
    // The built-in default: ε 1 per family, ε 0.25 per release; one release was made above.
    expect(before).toMatchObject({ accountant: "pure-dp", totalNano: 1_000_000_000n, spentNano: 250_000_000n, policy: "built-in default" });
    const again = await c.alice!.releaseResult({ problemId, signalId: signals[0]! });
    expect(again.charged).toBe(false);
    for (const s of signals.slice(1, 4)) {
      const r = await c["m-lead"]!.releaseResult({ problemId, signalId: s });
      expect(r).toMatchObject({ charged: true, release: { costNano: 250_000_000n, clampMin: 0n, clampMax: 5000n, quantity: "improvement-bp" } });
    }
    const full = await spentOf();
    expect([full.spentNano, full.remainingNano, full.releases]).toEqual([1_000_000_000n, 0n, 4]);
    const auditBefore = (await h.client(h.admin).listAuditEvents({ limit: 1000, newest: true })).events.filter((e) => e.action === "privacy.release").length;
    const err = await rejection(c.alice!.releaseResult({ problemId, signalId: signals[4]! }));
    expect(err.code).toBe("resource_exhausted");
    expect(err.message).toContain('privacy budget of participant "alice" for family "llvm/ir-instcount"');
    expect(err.message).toContain("ε 0 of 1 remains");
    expect(await spentOf()).toEqual(full);
    expect((await c.bob!.listReleases({ problemId })).releases.length).toBe(4);
    const auditAfter = (await h.client(h.admin).listAuditEvents({ limit: 1000, newest: true })).events.filter((e) => e.action === "privacy.release").length;
    expect(auditAfter).toBe(auditBefore);
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
        value: { policyId: "generous", family: "llvm/ir-instcount", accountant: PrivacyAccountant.PURE, totalEpsilon: "10", totalDelta: "0", version: 1n, releaseCost: "1", clampMin: 0n, clampMax: 2000n, reason: "test" },
      },
    })).proposal!;
    await approveAs(lc.g1!, gov.g1!, proposal);
    // One of two approvals: still the default, still exhausted.
    expect((await c.alice!.getPrivacyBudget({ family: "llvm/ir-instcount" })).budgets[0]).toMatchObject({ policy: "built-in default", remainingNano: 0n });
    expect((await rejection(c.alice!.releaseResult({ problemId, signalId: signals[4]! }))).code).toBe("resource_exhausted");
    await approveAs(lc.g2!, gov.g2!, proposal);
    const budget = (await c.alice!.getPrivacyBudget({ family: "llvm/ir-instcount" })).budgets[0]!;
    expect(budget).toMatchObject({ totalNano: 10_000_000_000n, spentNano: 1_000_000_000n, remainingNano: 9_000_000_000n });
    expect(budget.policy).toMatch(/^ledger entry \d+ \(policy generous v1\)$/);
    const r = await c.alice!.releaseResult({ problemId, signalId: signals[4]! });
    expect(r).toMatchObject({ charged: true, release: { costNano: 1_000_000_000n, clampMin: 0n, clampMax: 2000n, mechanism: "discrete-laplace(scale=2000)" } });
    for (const g of Object.values(lc)) g.close();
  });

  it("decides every role × every method from the one table", async () => {
    const db = h.node.database.db;
    await saveActor(db, create(ActorSchema, { name: "gov-x", kind: "governor", publicKey: new Uint8Array(32), status: ActorStatus.ADMITTED }), "00");
    const access = new AccessControl();
    const callers = ["alice", "m-lead", "m-write", "m-read", "m-audit", "alice-adapter", "bob", "eve", h.admin.name, "gov-x"] as const;
    type Caller = (typeof callers)[number];
    const request = { problemId, participant: "alice", jobId, problem: { participant: "alice" } };
    const all = new Set<string>(callers);
    const only = (...who: string[]) => new Set(who);
    const expected = (key: string): Set<string> => {
      const rule = ACCESS_TABLE[key]!;
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
        default:
          expect(["anyone", "jobs-reader"], key).toContain(rule.who);
          return all;
      }
    };
    for (const key of Object.keys(ACCESS_TABLE)) {
      const [service, method] = key.split(".");
      const want = expected(key);
      for (const caller of callers) {
        const ctx = createCallContext(db, { actor: caller as Caller, certificateFingerprint: "", method: key, correlationId: "matrix", requestDigest: "", now: Date.now() });
        const got = await access.authorize(ctx, `/openpassmarket.v1.${service}/${method}`, request).then(() => true, (err: { code?: string; message?: string }) => {
          expect(err.code, `${caller} ${key}`).toBe("permission_denied");
          return false;
        });
        expect(got, `${caller} × ${key}`).toBe(want.has(caller));
      }
    }
  });
});

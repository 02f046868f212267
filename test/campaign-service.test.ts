/**
 * CampaignService against a real registry node over mTLS, on PGlite and PostgreSQL (no
 * compiler: jobs are only enqueued). A campaign's batches are the EnqueueJobs calls that
 * name it, numbered in the order they commit; only the holder enqueues or resumes, a
 * `write` member takes it over (audited), and every misuse gets its own precise error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CampaignState } from "../src/gen/openpassmarket/v1/campaign_pb.js";
import { CampaignService } from "../src/gen/openpassmarket/v1/campaign_service_pb.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { createRpcClient, type RpcClient } from "../src/kernel/wire/index.js";
import { testDatabases } from "./support/databases.js";
import { privateProblem } from "./support/fixtures.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";
import { rejection } from "./support/rejection.js";

type Campaigns = RpcClient<(typeof CampaignService)["method"]>;
const plan = (...passes: string[]) => ({ steps: passes.map((pass) => ({ pass, value: "" })) });

describe.each(testDatabases())("campaigns on $kind", (database) => {
  let h: RegistryHarness;
  const ids: Record<string, Identity> = {};
  const campaigns: Record<string, Campaigns> = {};
  let problemId: string;

  beforeAll(async () => {
    h = await startHarness(database);
    for (const name of ["alice", "bob", "carol", "mallory"]) {
      ids[name] = await h.identity(name);
      await h.client(ids[name]!).registerParticipant({ publicKey: ids[name]!.keys.publicKeyRaw });
      campaigns[name] = createRpcClient(CampaignService, { address: h.node.address, identity: ids[name]!, deadlineMs: 20_000 });
    }
    // bob may run alice's searches (write, read); carol may only read them; mallory is no member.
    for (const role of ["write", "read"]) await h.client(ids["alice"]!).addMember({ actor: "bob", role });
    await h.client(ids["alice"]!).addMember({ actor: "carol", role: "read" });
    ({ problemId } = await h.client(ids["alice"]!).submitProblem({ problem: privateProblem("alice", "campaign-service") }));
  }, 120_000);
  afterAll(async () => {
    Object.values(campaigns).forEach((c) => c.close());
    await h?.close();
  });

  async function start(maxEvaluations = 6) {
    const { campaign } = await campaigns["alice"]!.startCampaign({ problemId, strategy: "random", seed: 7, budget: { maxEvaluations }, batchSize: 2 });
    return campaign!;
  }

  it("records each EnqueueJobs batch naming the campaign, in order, with its plans and jobs", async () => {
    const c = await start();
    expect(c).toMatchObject({ problemId, owner: "alice", holder: "alice", strategy: "random", seed: 7, batchSize: 2, state: CampaignState.ACTIVE, evaluations: 0 });
    const jobs = h.jobs(ids["alice"]!);
    const first = await jobs.enqueueJobs({ problemId, plans: [plan("instcombine"), plan("gvn")], campaignId: c.id, campaignElapsedMs: 1200n });
    const second = await jobs.enqueueJobs({ problemId, plans: [plan("sroa", "dce")], campaignId: c.id, campaignElapsedMs: 2500n });
    // Jobs of the same problem outside the campaign are not part of its history.
    await jobs.enqueueJobs({ problemId, plans: [plan("licm")] });
    const { campaign } = await campaigns["carol"]!.getCampaign({ campaignId: c.id });
    expect(campaign!.evaluations).toBe(3);
    expect(Number(campaign!.elapsedMs)).toBe(2500);
    expect(campaign!.batches.map((b) => [b.sequence, b.jobIds, b.plans.map((p) => p.steps.map((s) => s.pass).join(" ")), Number(b.elapsedMs), b.enqueuedBy])).toEqual([
      [1, first.jobIds, ["instcombine", "gvn"], 1200, "alice"],
      [2, second.jobIds, ["sroa dce"], 2500, "alice"],
    ]);
    const listed = await campaigns["carol"]!.listCampaigns({ problemId });
    expect(listed.campaigns.map((x) => x.id)).toContain(c.id);
    expect(listed.campaigns.every((x) => x.batches.length === 0)).toBe(true);
    expect((await campaigns["mallory"]!.listCampaigns({})).campaigns).toEqual([]);
  });

  it("hands a campaign to a write member: only the new holder enqueues and resumes, and the audit log says who", async () => {
    const c = await start();
    await h.jobs(ids["alice"]!).enqueueJobs({ problemId, plans: [plan("gvn")], campaignId: c.id });
    const handed = await campaigns["bob"]!.handoffCampaign({ campaignId: c.id, to: "bob" });
    expect(handed.campaign!.holder).toBe("bob");

    const enqueue = await rejection(h.jobs(ids["alice"]!).enqueueJobs({ problemId, plans: [plan("dce")], campaignId: c.id }));
    expect(enqueue.code).toBe("permission_denied");
    expect(enqueue.message).toContain(`campaign ${c.id} is held by bob, not alice`);
    const resume = await rejection(campaigns["alice"]!.resumeCampaign({ campaignId: c.id }));
    expect(resume.code).toBe("permission_denied");
    expect(resume.message).toContain("only its holder resumes it");

    expect((await campaigns["bob"]!.resumeCampaign({ campaignId: c.id })).campaign!.batches).toHaveLength(1);
    await h.jobs(ids["bob"]!).enqueueJobs({ problemId, plans: [plan("dce")], campaignId: c.id });
    const { campaign } = await campaigns["alice"]!.getCampaign({ campaignId: c.id });
    expect(campaign!.batches.map((b) => b.enqueuedBy)).toEqual(["alice", "bob"]);

    const events = (await h.client(h.admin).listAuditEvents({ limit: 1000, newest: true })).events.filter((e) => e.object === c.id).map((e) => [e.action, e.actor, e.detail]);
    expect(events).toContainEqual(["campaign.handoff", "bob", "from alice to bob"]);
    expect(events.filter((e) => e[0] === "campaign.resume").map((e) => e[1])).toEqual(["bob"]);
  });

  it("refuses misuse with a precise error and changes nothing", async () => {
    const c = await start(2);
    const unknown = await rejection(campaigns["alice"]!.resumeCampaign({ campaignId: "no-such-campaign" }));
    expect([unknown.code, unknown.message]).toEqual(["not_found", 'field `campaign_id`: unknown campaign "no-such-campaign"']);
    // Reading needs `read` in the owning organisation; taking over needs `write` on both sides.
    expect((await rejection(campaigns["mallory"]!.getCampaign({ campaignId: c.id }))).code).toBe("permission_denied");
    expect((await rejection(campaigns["carol"]!.handoffCampaign({ campaignId: c.id, to: "carol" }))).code).toBe("permission_denied");
    const toReader = await rejection(campaigns["alice"]!.handoffCampaign({ campaignId: c.id, to: "carol" }));
    expect([toReader.code, toReader.message]).toEqual(["failed_precondition", 'field `to`: carol does not hold role `write` in organisation "alice", so it cannot run campaign ' + c.id]);
    // A batch for another problem, or over the budget, is refused whole: no job is created.
    const { problemId: other } = await h.client(ids["alice"]!).submitProblem({ problem: privateProblem("alice", "campaign-other") });
    expect((await rejection(h.jobs(ids["alice"]!).enqueueJobs({ problemId: other, plans: [plan("gvn")], campaignId: c.id }))).code).toBe("invalid_argument");
    const over = await rejection(h.jobs(ids["alice"]!).enqueueJobs({ problemId, plans: [plan("a"), plan("b"), plan("c")], campaignId: c.id }));
    expect([over.code, over.message]).toEqual(["resource_exhausted", `campaign ${c.id}: 3 more jobs would make 3, over its budget of 2 evaluations`]);
    expect((await h.jobs(ids["alice"]!).listJobs({ problemId: other })).jobs).toEqual([]);
    expect((await campaigns["alice"]!.getCampaign({ campaignId: c.id })).campaign!.evaluations).toBe(0);
    // A campaign without any limit would never end.
    expect((await rejection(campaigns["alice"]!.startCampaign({ problemId, strategy: "random", batchSize: 2, budget: {} }))).code).toBe("invalid_argument");
    // How far its strategy read the market is kept (a resume reads up to it), and must be a market cursor.
    const cursor = `1700000000000:${"ab".repeat(32)}`;
    const withMarket = await campaigns["alice"]!.startCampaign({ problemId, strategy: "market-first", batchSize: 2, budget: { maxEvaluations: 4 }, marketCursor: cursor });
    expect((await campaigns["carol"]!.getCampaign({ campaignId: withMarket.campaign!.id })).campaign!.marketCursor).toBe(cursor);
    const badCursor = await rejection(campaigns["alice"]!.startCampaign({ problemId, strategy: "market-first", batchSize: 2, budget: { maxEvaluations: 4 }, marketCursor: "now" }));
    expect([badCursor.code, badCursor.message]).toEqual(["invalid_argument", expect.stringContaining("market_cursor")]);

    // A finished campaign takes no batch and cannot resume or change hands.
    const finished = await campaigns["alice"]!.finishCampaign({ campaignId: c.id, reason: "strategy_done", elapsedMs: 900n });
    expect(finished.campaign).toMatchObject({ state: CampaignState.FINISHED, finishReason: "strategy_done" });
    for (const call of [
      () => campaigns["alice"]!.resumeCampaign({ campaignId: c.id }),
      () => campaigns["alice"]!.handoffCampaign({ campaignId: c.id, to: "bob" }),
      () => h.jobs(ids["alice"]!).enqueueJobs({ problemId, plans: [plan("gvn")], campaignId: c.id }),
    ]) {
      const err = await rejection(call());
      expect(err.code).toBe("failed_precondition");
      expect(err.message).toContain(`campaign ${c.id} is finished (strategy_done)`);
    }
  });
});

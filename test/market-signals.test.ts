import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentId, objectId } from "../src/kernel/codec/index.js";
import { Compiler, Objective } from "../src/gen/openpassmarket/v1/common_pb.js";
import { JobState } from "../src/gen/openpassmarket/v1/job_service_pb.js";
import { LocalProblemSchema, Visibility, type LocalProblem } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { ListMarketSignalsResponseSchema, type MarketSignal } from "../src/gen/openpassmarket/v1/registry_service_pb.js";
import { PlanStepSchema, SignalStatus } from "../src/gen/openpassmarket/v1/signal_pb.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { testDatabases } from "./support/databases.js";
import { llvmProblem, signedSignal } from "./support/fixtures.js";
import { startHarness, type JobClient, type RegistryClient, type RegistryHarness } from "./support/registry-harness.js";
import { rejection } from "./support/rejection.js";
import { EMPTY_MARKET_CURSOR, registrySignalSource } from "../src/client/orchestrator/signal-source.js";

const VERSION = "14.0.6";
const sorted = (ids: string[]) => [...ids].sort();

/** A ListMarketSignals request as the client takes it. */
interface MarketQuery { compiler?: Compiler; objective?: Objective; after?: string; limit?: number; until?: string }

/**
 * ListMarketSignals over gRPC: what one participant sees of what the market measured on
 * the others' problems (accepted signals of public problems, exactly; nothing of private
 * ones; nothing of its own), paging, argument checks — and GetJobs carrying the metrics
 * of a completed job's signal. Statuses other than accepted come from real spot checks
 * (fraction 1), not from writes to the database.
 */
describe.each(testDatabases())("market signals on $kind", (database) => {
  let h: RegistryHarness;
  let alice: Identity;
  let bob: Identity;
  let asAlice: RegistryClient;
  /** Problems: bob's public one, bob's public text-size one, bob's private one, alice's public one. */
  const p: Record<"bobPublic" | "bobText" | "bobPrivate" | "alicePublic", { problem: LocalProblem; id: string }> = {} as never;
  /** Signal ids by what they should be. */
  const ids = { accepted: [] as string[], provisional: [] as string[], refused: [] as string[], private: [] as string[], own: [] as string[], text: [] as string[] };
  let bobAdapter: { id: Identity; jobs: JobClient };
  let spotJobId = "";

  const everything = async (client: RegistryClient, req: MarketQuery = {}): Promise<MarketSignal[]> => {
    const res = await client.listMarketSignals({ limit: 1000, ...req });
    expect(res.hasMore).toBe(false);
    return res.signals;
  };

  beforeAll(async () => {
    h = await startHarness(database, { jobs: { spotCheckFraction: 1 } });
    alice = await h.identity("alice");
    bob = await h.identity("bob");
    asAlice = h.client(alice);
    for (const who of [alice, bob]) await h.client(who).registerParticipant({ publicKey: who.keys.publicKeyRaw });
    const submit = async (problem: LocalProblem) => ({ problem, id: (await h.client(problem.participant === "alice" ? alice : bob).submitProblem({ problem })).problemId });
    p.bobPublic = await submit(llvmProblem("bob", "market-bob-public", VERSION, Visibility.PUBLIC));
    const text = llvmProblem("bob", "market-bob-text", VERSION, Visibility.PUBLIC);
    text.objective = Objective.TEXT_SIZE;
    p.bobText = await submit(text);
    p.bobPrivate = await submit(llvmProblem("bob", "market-bob-private", VERSION, Visibility.PRIVATE));
    p.alicePublic = await submit(llvmProblem("alice", "market-alice-public", VERSION, Visibility.PUBLIC));
    for (const x of Object.values(p)) expect(x.id).toBe(objectId(LocalProblemSchema, x.problem));

    // Accepted signals straight through SubmitSignal (no job, so no spot check).
    bobAdapter = await h.admittedAdapter("bob-adapter", VERSION, "bob");
    const direct = h.client(bobAdapter.id);
    const report = async (problem: LocalProblem, achieved: number, pass: string) =>
      (await direct.submitSignal({ signal: signedSignal(bobAdapter.id, problem, { achieved, pipeline: [{ pass }, { pass: "simplifycfg" }] }) })).signalId;
    for (const [i, pass] of ["instcombine", "gvn", "licm", "sroa", "dce"].entries()) ids.accepted.push(await report(p.bobPublic.problem, 400 - i, pass));
    ids.text.push(await report(p.bobText.problem, 380, "instcombine"));
    ids.private.push(await report(p.bobPrivate.problem, 390, "gvn"));
    ids.own.push(await report(p.alicePublic.problem, 410, "licm"));

    // Spot checks on bob's public problem: a and c agree, b lies (refused), d's answer is
    // still under check (provisional).
    const adapters = {
      a: await h.admittedAdapter("spot-a", VERSION, ""), b: await h.admittedAdapter("spot-b", VERSION, ""),
      c: await h.admittedAdapter("spot-c", VERSION, ""), d: await h.admittedAdapter("spot-d", VERSION, ""),
    };
    const answer = async (who: keyof typeof adapters, achieved: number) => {
      const adapter = adapters[who];
      const [claimed] = (await adapter.jobs.claimJobs({ max: 1 })).jobs;
      expect(claimed, `${who} found no job`).toBeDefined();
      const signal = signedSignal(adapter.id, p.bobPublic.problem, {
        jobId: claimed!.job!.id, pipeline: claimed!.job!.plan.map((s) => create(PlanStepSchema, s)), achieved,
        outputDigest: contentId(new TextEncoder().encode(`out-${achieved}`)),
      });
      return (await adapter.jobs.completeJob({ jobId: claimed!.job!.id, claimToken: claimed!.claimToken, signal })).signalId;
    };
    const bobJobs = h.jobs(bob);
    spotJobId = (await bobJobs.enqueueJobs({ problemId: p.bobPublic.id, plans: [{ steps: [{ pass: "mem2reg" }] }] })).jobIds[0]!;
    const a = await answer("a", 350);
    const b = await answer("b", 10);
    const c = await answer("c", 350);
    ids.accepted.push(a, c);
    ids.refused.push(b);
    await bobJobs.enqueueJobs({ problemId: p.bobPublic.id, plans: [{ steps: [{ pass: "early-cse" }] }] });
    ids.provisional.push(await answer("d", 360));

    // The statuses are what the test means them to be, as bob reads them.
    const listed = await h.client(bob).listSignals({ problemId: p.bobPublic.id, pageSize: 1000 });
    const statusOf = new Map(listed.signalIds.map((id, i) => [id, listed.statuses[i]]));
    for (const id of ids.accepted) expect(statusOf.get(id)).toBe(SignalStatus.ACCEPTED);
    expect(statusOf.get(ids.refused[0]!)).toBe(SignalStatus.REFUSED);
    expect(statusOf.get(ids.provisional[0]!)).toBe(SignalStatus.PROVISIONAL);
  });
  afterAll(async () => h?.close());

  it("shows another participant's public problem's accepted signals: features, plan, achieved and baseline", async () => {
    const seen = await everything(asAlice);
    const onBobPublic = seen.filter((s) => s.problemId === p.bobPublic.id);
    expect(sorted(onBobPublic.map((s) => s.signalId))).toEqual(sorted(ids.accepted));
    const gvn = onBobPublic.find((s) => s.pipeline[0]?.pass === "gvn")!;
    expect(gvn).toMatchObject({
      compiler: Compiler.LLVM, objective: Objective.IR_INSTCOUNT, compilerVersion: VERSION, baseline: 420, achieved: 399,
      pipeline: [{ pass: "gvn" }, { pass: "simplifycfg" }],
    });
    expect(gvn.features.map((f) => [f.name, f.value])).toEqual([["add", 12], ["load", 40], ["store", 31]]);
    expect(seen.filter((s) => s.problemId === p.bobText.id).map((s) => s.signalId)).toEqual(ids.text);
  });

  it("never shows the caller's own problems, nor an adapter's owner's", async () => {
    const seen = await everything(asAlice);
    expect(seen.some((s) => s.problemId === p.alicePublic.id)).toBe(false);
    const asBobsAdapter = await everything(h.client(bobAdapter.id));
    expect(asBobsAdapter.map((s) => s.signalId)).toEqual(ids.own);
    const asBob = await everything(h.client(bob));
    expect(asBob.map((s) => s.problemId)).toEqual([p.alicePublic.id]);
  });

  it("never shows another participant's private problem, and never any IR", async () => {
    const res = await asAlice.listMarketSignals({ limit: 1000 });
    expect(res.signals.some((s) => s.problemId === p.bobPrivate.id || ids.private.includes(s.signalId))).toBe(false);
    const bytes = Buffer.from(toBinary(ListMarketSignalsResponseSchema, res));
    for (const x of [p.bobPublic, p.bobText, p.alicePublic]) {
      expect(x.problem.ir.length).toBeGreaterThan(0);
      expect(bytes.includes(Buffer.from(x.problem.ir))).toBe(false);
    }
  });

  it("returns accepted signals only: never provisional or refused ones", async () => {
    const seen = (await everything(asAlice)).map((s) => s.signalId);
    for (const id of [...ids.provisional, ...ids.refused]) expect(seen).not.toContain(id);
  });

  it("filters by compiler and objective", async () => {
    const text = await everything(asAlice, { objective: Objective.TEXT_SIZE });
    expect(text.map((s) => s.signalId)).toEqual(ids.text);
    const instcount = await everything(asAlice, { compiler: Compiler.LLVM, objective: Objective.IR_INSTCOUNT });
    expect(sorted(instcount.map((s) => s.signalId))).toEqual(sorted(ids.accepted));
    expect(await everything(asAlice, { compiler: Compiler.GCC })).toEqual([]);
  });

  it("pages with after/limit, returning each signal once, oldest first", async () => {
    const all = (await everything(asAlice)).map((s) => s.signalId);
    expect(all).toHaveLength(ids.accepted.length + ids.text.length);
    for (const limit of [1, 2, 3]) {
      const paged: string[] = [];
      let after = "";
      for (let pages = 0; ; pages++) {
        expect(pages).toBeLessThan(50);
        const res = await asAlice.listMarketSignals({ after, limit });
        expect(res.signals.length).toBeLessThanOrEqual(limit);
        paged.push(...res.signals.map((s) => s.signalId));
        expect(res.nextAfter).not.toBe("");
        after = res.nextAfter;
        if (!res.hasMore) break;
      }
      expect(paged).toEqual(all);
      // At the end the cursor stays put: nothing new, the same cursor back.
      const tail = await asAlice.listMarketSignals({ after, limit });
      expect([tail.signals, tail.nextAfter, tail.hasMore]).toEqual([[], after, false]);
    }
  });

  it("skips withheld signals within a page but still moves the cursor past them", async () => {
    // Bob's private problem's signal takes a place in alice's pages of 1, shown empty.
    const all = (await everything(asAlice)).map((s) => s.signalId);
    const seen: string[] = [];
    let after = "";
    let empty = 0;
    for (;;) {
      const res = await asAlice.listMarketSignals({ after, limit: 1 });
      if (res.signals.length === 0) empty++;
      seen.push(...res.signals.map((s) => s.signalId));
      after = res.nextAfter;
      if (!res.hasMore) break;
    }
    expect(seen).toEqual(all);
    expect(empty).toBe(ids.private.length);
  });

  it("refuses bad arguments with INVALID_ARGUMENT naming the field", async () => {
    const bad = async (req: MarketQuery, field: string) => {
      const err = await rejection(asAlice.listMarketSignals(req));
      expect([err.code, err.message]).toEqual(["invalid_argument", expect.stringContaining(`field \`${field}\``)]);
    };
    await bad({ limit: 1001 }, "limit");
    await bad({ compiler: 99 as Compiler }, "compiler");
    await bad({ objective: 42 as Objective }, "objective");
    await bad({ after: "not-a-cursor" }, "after");
    await bad({ after: `12:${"g".repeat(64)}` }, "after");
    await bad({ after: `99999999999999999:${"a".repeat(64)}` }, "after");
  });

  it("GetJobs returns a completed job's achieved and baseline with its status, to whoever may read them", async () => {
    const [job] = (await h.jobs(bob).getJobs({ jobIds: [spotJobId] })).jobs;
    expect(job).toMatchObject({ state: JobState.SUCCEEDED, signalStatus: SignalStatus.ACCEPTED, signalMetrics: { baseline: 420, achieved: 350 } });
    // A public problem's results are anyone's to read.
    const [asAlicesJob] = (await h.jobs(alice).getJobs({ jobIds: [spotJobId] })).jobs;
    expect(asAlicesJob!.signalMetrics).toMatchObject({ achieved: 350 });

    // A private problem's: its owner's (and its adapters') only.
    const bobJobs = h.jobs(bob);
    const { jobIds } = await bobJobs.enqueueJobs({ problemId: p.bobPrivate.id, plans: [{ steps: [{ pass: "reassociate" }] }, { steps: [{ pass: "adce" }] }] });
    // bob's adapter may also claim the public check job still queued; take the private job.
    const claimed = (await bobAdapter.jobs.claimJobs({ max: 10 })).jobs.find((c) => c.job!.problemId === p.bobPrivate.id);
    expect(claimed).toBeDefined();
    const signal = signedSignal(bobAdapter.id, p.bobPrivate.problem, { jobId: claimed!.job!.id, pipeline: claimed!.job!.plan.map((s) => create(PlanStepSchema, s)), achieved: 377 });
    await bobAdapter.jobs.completeJob({ jobId: claimed!.job!.id, claimToken: claimed!.claimToken, signal });
    const byId = async (jobs: JobClient) => new Map((await jobs.getJobs({ jobIds })).jobs.map((j) => [j.id, j]));
    const owner = await byId(bobJobs);
    const done = owner.get(claimed!.job!.id)!;
    expect(done).toMatchObject({ state: JobState.SUCCEEDED, signalStatus: SignalStatus.ACCEPTED, signalMetrics: { baseline: 420, achieved: 377 } });
    const pending = owner.get(jobIds.find((id) => id !== claimed!.job!.id)!)!;
    expect([pending.state, pending.signalStatus, pending.signalMetrics]).toEqual([JobState.LEASED, SignalStatus.UNSPECIFIED, undefined]);
    expect((await byId(bobAdapter.jobs)).get(done.id)!.signalMetrics).toMatchObject({ achieved: 377 });
    // Another participant does not see the private problem's jobs at all.
    expect((await byId(h.jobs(alice))).has(done.id)).toBe(false);
    // ListJobs follows the same rule.
    const listed = (await bobJobs.listJobs({ problemId: p.bobPrivate.id })).jobs.find((j) => j.id === done.id)!;
    expect(listed.signalMetrics).toMatchObject({ achieved: 377 });
    await expect(h.jobs(alice).listJobs({ problemId: p.bobPrivate.id })).rejects.toMatchObject({ code: "permission_denied" });
  });
  // Last in the file: it adds a signal the tests above do not expect.
  it("reads the market up to a recorded cursor (a campaign's resume): the same signals, none that arrived since", async () => {
    const query = { compiler: "llvm", objective: "ir-instcount" } as const;
    const first = registrySignalSource(asAlice);
    const before = await first.list(query);
    expect(before.length).toBe(ids.accepted.length);
    const cursor = first.marketCursor!();
    expect(cursor).toMatch(/^[1-9][0-9]*:[0-9a-f]{64}$/);
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later millisecond than the cursor's
    const late = (await h.client(bobAdapter.id).submitSignal({ signal: signedSignal(bobAdapter.id, p.bobPublic.problem, { achieved: 300, pipeline: [{ pass: "adce" }] }) })).signalId;

    const resumed = registrySignalSource(asAlice, undefined, cursor);
    expect(await resumed.list(query)).toEqual(before);
    expect(resumed.marketCursor!()).toBe(cursor);
    expect((await registrySignalSource(asAlice).list(query)).map((s) => s.signalId)).toEqual([...before.map((s) => s.signalId), late]);
    // The bound itself, over the RPC.
    expect((await everything(asAlice, { until: cursor })).map((s) => s.signalId)).not.toContain(late);
    // An empty market read is recorded as such, and reading up to it finds nothing.
    const empty = registrySignalSource(asAlice);
    expect(await empty.list({ compiler: "cranelift", objective: "code-size" })).toEqual([]);
    expect(empty.marketCursor!()).toBe(EMPTY_MARKET_CURSOR);
    expect(await everything(asAlice, { until: EMPTY_MARKET_CURSOR })).toEqual([]);
    expect((await rejection(asAlice.listMarketSignals({ until: "yesterday" }))).message).toContain("until");
  });
});

import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentId, objectId } from "../src/kernel/codec/index.js";
import { JobState, type EvaluationJob } from "../src/gen/openpassmarket/v1/job_service_pb.js";
import { LocalProblemSchema, Visibility, type LocalProblem } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { ActorStatus } from "../src/gen/openpassmarket/v1/registry_service_pb.js";
import { PlanStepSchema, SignalStatus } from "../src/gen/openpassmarket/v1/signal_pb.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { testDatabases } from "./support/databases.js";
import { llvmProblem, signedSignal } from "./support/fixtures.js";
import { startHarness, type JobClient, type RegistryHarness } from "./support/registry-harness.js";
import { rejection } from "./support/rejection.js";

/**
 * Which results get checked besides the sample, and the participant's report of a result
 * it could not reproduce — over gRPC with signals made up by the test (no compiler).
 */

const digest = (text: string) => contentId(new TextEncoder().encode(text));

interface World {
  problem: LocalProblem;
  problemId: string;
  adapters: Record<string, { id: Identity; jobs: JobClient }>;
}

/** Helpers over harness `h()` for alice's problems and adapters named per world. */
function worlds(h: () => RegistryHarness, alice: () => Identity) {
  let n = 0;
  return {
    /** A problem of alice's on a compiler version of its own, and adapters `names` (owner: `owners[name]` or none). */
    async world(visibility: Visibility, names: string[], owners: Record<string, string> = {}): Promise<World> {
      n += 1;
      const version = `14.0.${500 + n}`;
      const problem = llvmProblem("alice", `rules-${n}-${Math.random()}`, version, visibility);
      await h().client(alice()).submitProblem({ problem });
      const adapters: World["adapters"] = {};
      for (const name of names) adapters[name] = await h().admittedAdapter(`${name}-${n}`, version, owners[name] ?? "");
      return { problem, problemId: objectId(LocalProblemSchema, problem), adapters };
    },
    enqueue: async (w: World) => (await h().jobs(alice()).enqueueJobs({ problemId: w.problemId, plans: [{ steps: [{ pass: "instcombine", value: "" }] }] })).jobIds[0]!,
    /** `who` claims one job and completes it reporting `achieved` (output `output`); returns the job id and its signal id. */
    async answer(w: World, who: string, achieved: number, output = "out"): Promise<{ jobId: string; signalId: string }> {
      const adapter = w.adapters[who]!;
      const [claimed] = (await adapter.jobs.claimJobs({ max: 1 })).jobs;
      expect(claimed, `${who} found no job to claim`).toBeDefined();
      const signal = signedSignal(adapter.id, w.problem, {
        jobId: claimed!.job!.id, pipeline: claimed!.job!.plan.map((p) => create(PlanStepSchema, p)), achieved, outputDigest: digest(output),
      });
      const { signalId } = await adapter.jobs.completeJob({ jobId: claimed!.job!.id, claimToken: claimed!.claimToken, signal });
      return { jobId: claimed!.job!.id, signalId };
    },
    jobsOf: async (w: World): Promise<EvaluationJob[]> => (await h().jobs(alice()).listJobs({ problemId: w.problemId })).jobs,
    audit: async (action: string, object: string) =>
      (await h().client(h().admin).listAuditEvents({ limit: 1000, newest: true })).events.filter((e) => e.action === action && e.object === object),
  };
}

describe.each(testDatabases())("check rules beyond the sample on $kind", (database) => {
  let h: RegistryHarness;
  let alice: Identity;
  const { world, enqueue, answer, jobsOf, audit } = worlds(() => h, () => alice);

  beforeAll(async () => {
    // No sample at all: every check below comes from the two other rules.
    h = await startHarness(database, { jobs: { spotCheckFraction: 0, newAdapterChecks: 2, checkNewBest: true } });
    alice = await h.identity("alice");
    await h.client(alice).registerParticipant({ publicKey: alice.keys.publicKeyRaw });
  });
  afterAll(async () => h?.close());

  const checksOf = async (w: World, jobId: string) => (await jobsOf(w)).filter((j) => j.checkOf === jobId);

  it("checks an adapter's first completions, then only results that would become the problem's best", async () => {
    const w = await world(Visibility.PUBLIC, ["a", "b", "c"]);
    // a's first two completions are checked whatever they report; b's agreeing answers make them count.
    for (const value of [400, 420]) {
      await enqueue(w);
      const { jobId } = await answer(w, "a", value);
      expect(await checksOf(w, jobId), `a's completion at ${value}`).toHaveLength(1);
      expect((await audit("spot_check.select", jobId))[0]!.detail).toContain(`of ${w.adapters.a!.id.name}'s first 2 on public problems`);
      await answer(w, "b", value);
    }
    // From its third on: not the best (430 > 400), or only as good (a tie with 400), is not checked.
    for (const value of [430, 400]) {
      await enqueue(w);
      const { jobId } = await answer(w, "a", value);
      expect(await checksOf(w, jobId), `a's completion at ${value}`).toHaveLength(0);
      expect((await jobsOf(w)).find((j) => j.id === jobId)!.signalStatus).toBe(SignalStatus.ACCEPTED);
    }
    // Below every accepted result: checked.
    await enqueue(w);
    const better = await answer(w, "a", 390);
    expect(await checksOf(w, better.jobId)).toHaveLength(1);
    expect((await audit("spot_check.select", better.jobId))[0]!.detail).toContain("achieved 390 would become the best");
    // A provisional result is not the best to beat (it may yet be refused), nor is a claim
    // made outside the job queue, however small: 395 is still below every accepted job result.
    const { problem } = await h.client(alice).getProblem({ problemId: w.problemId });
    await h.client(w.adapters.c!.id).submitSignal({ signal: signedSignal(w.adapters.c!.id, problem!, { achieved: 1 }) });
    await enqueue(w);
    const second = await answer(w, "a", 395);
    expect(await checksOf(w, second.jobId)).toHaveLength(1);
  });

  it("checks a problem's first result, even from an experienced adapter, and never a private problem's", async () => {
    const w = await world(Visibility.PUBLIC, ["a", "b"]);
    for (let i = 0; i < 2; i++) {
      await enqueue(w);
      await answer(w, "b", 500 + i);
      await answer(w, "a", 500 + i);
    }
    // a has answered two checks and b two jobs: both are past their first two completions.
    // Another problem on the same compiler version: its first result has nothing to beat.
    const other = llvmProblem("alice", `rules-first-${Math.random()}`, w.problem.compilerVersion, Visibility.PUBLIC);
    await h.client(alice).submitProblem({ problem: other });
    const o: World = { problem: other, problemId: objectId(LocalProblemSchema, other), adapters: w.adapters };
    await enqueue(o);
    const first = await answer(o, "b", 700);
    expect(await checksOf(o, first.jobId)).toHaveLength(1);
    expect((await audit("spot_check.select", first.jobId))[0]!.detail).toContain(`the first accepted result of problem ${o.problemId}`);

    const secret = await world(Visibility.PRIVATE, ["p"], { p: "alice" });
    await enqueue(secret);
    const mine = await answer(secret, "p", 100);
    expect(await jobsOf(secret)).toHaveLength(1);
    expect((await jobsOf(secret))[0]!.signalStatus).toBe(SignalStatus.ACCEPTED);
    expect(mine.signalId).not.toBe("");
  });
});

describe.each(testDatabases())("a participant reports a result it could not reproduce, on $kind", (database) => {
  let h: RegistryHarness;
  let alice: Identity;
  let bob: Identity;
  const { world, enqueue, answer, jobsOf, audit } = worlds(() => h, () => alice);

  beforeAll(async () => {
    // Nothing is checked unless reported.
    h = await startHarness(database, { jobs: { spotCheckFraction: 0, newAdapterChecks: 0, checkNewBest: false } });
    alice = await h.identity("alice");
    bob = await h.identity("bob");
    await h.client(alice).registerParticipant({ publicKey: alice.keys.publicKeyRaw });
    await h.client(bob).registerParticipant({ publicKey: bob.keys.publicKeyRaw });
  });
  afterAll(async () => h?.close());

  const statusOf = async (name: string) => (await h.client(h.admin).getActor({ name })).actor!.status;

  it("makes the job a spot check; the check's majority quarantines the liar; the reporter's own adapters take no part", async () => {
    const w = await world(Visibility.PUBLIC, ["liar", "h1", "h2", "mine"], { mine: "alice" });
    const jobId = await enqueue(w);
    const { signalId } = await answer(w, "liar", 380);
    expect((await jobsOf(w)).map((j) => j.signalStatus)).toEqual([SignalStatus.ACCEPTED]);
    const report = { jobId, signalId, reproduced: 400, reproducedOutputDigest: digest("out") };

    // Only the problem's owner may report, on the signal the job really has, with a real difference.
    const foreign = await rejection(h.jobs(bob).reportDiscrepancy(report));
    // (Refused by the node's access table — role `write` in the problem's organisation — or else by the handler.)
    expect([foreign.code, foreign.message]).toEqual(["permission_denied", expect.stringMatching(/only its owner may report|needs role `write` in organisation "alice"/)]);
    const wrong = await rejection(h.jobs(alice).reportDiscrepancy({ ...report, signalId: digest("another signal") }));
    expect([wrong.code, wrong.message]).toEqual(["failed_precondition", expect.stringContaining("field `signal_id`")]);
    const same = await rejection(h.jobs(alice).reportDiscrepancy({ ...report, reproduced: 380 }));
    expect([same.code, same.message]).toEqual(["invalid_argument", expect.stringContaining("nothing to dispute")]);
    const unknown = await rejection(h.jobs(alice).reportDiscrepancy({ ...report, jobId: "no-such-job" }));
    expect(unknown.code).toBe("not_found");

    const first = await h.jobs(alice).reportDiscrepancy(report);
    expect(first).toMatchObject({ checkQueued: true, signalStatus: SignalStatus.PROVISIONAL });
    let jobs = await jobsOf(w);
    expect(jobs.map((j) => [j.checkOf, j.state, j.signalStatus])).toEqual([
      ["", JobState.SUCCEEDED, SignalStatus.PROVISIONAL], [jobId, JobState.QUEUED, SignalStatus.UNSPECIFIED],
    ]);
    expect(jobs[1]!.id).toBe(first.checkJobId);
    const [event] = await audit("signal.discrepancy", jobId);
    expect(event!.actor).toBe("alice");
    expect(event!.detail).toContain(`alice reproduced 400 (output ${digest("out")}); signal ${signalId} by ${w.adapters.liar!.id.name} claims 380`);
    expect(event!.detail).toContain(`spot check job ${first.checkJobId} queued`);
    expect((await audit("spot_check.select", jobId))[0]!.detail).toContain("its owner alice reported that it did not reproduce");

    // A check job cannot be reported on; a second report adds evidence, not a second check.
    const onCheck = await rejection(h.jobs(alice).reportDiscrepancy({ ...report, jobId: first.checkJobId }));
    expect([onCheck.code, onCheck.message]).toEqual(["failed_precondition", expect.stringContaining(`is a spot check of job ${jobId}`)]);
    const again = await h.jobs(alice).reportDiscrepancy({ ...report, reproduced: 401 });
    expect(again).toMatchObject({ checkQueued: false, checkJobId: first.checkJobId, signalStatus: SignalStatus.PROVISIONAL });
    expect(await audit("signal.discrepancy", jobId)).toHaveLength(2);

    // Neither the reported adapter nor the reporter's own adapter may answer the check.
    expect((await w.adapters.liar!.jobs.claimJobs({ max: 5 })).jobs).toHaveLength(0);
    expect((await w.adapters.mine!.jobs.claimJobs({ max: 5 })).jobs).toHaveLength(0);
    await answer(w, "h1", 400);
    // Nor the tie-break.
    expect((await w.adapters.mine!.jobs.claimJobs({ max: 5 })).jobs).toHaveLength(0);
    await answer(w, "h2", 400);
    jobs = await jobsOf(w);
    expect(jobs.map((j) => j.signalStatus)).toEqual([SignalStatus.REFUSED, SignalStatus.ACCEPTED, SignalStatus.ACCEPTED]);
    expect(await statusOf(w.adapters.liar!.id.name)).toBe(ActorStatus.QUARANTINED);

    // Once refused, a report changes nothing.
    const late = await h.jobs(alice).reportDiscrepancy(report);
    expect(late).toMatchObject({ checkQueued: false, checkJobId: first.checkJobId, signalStatus: SignalStatus.REFUSED });
  });

  it("refuses a report on a job without a result", async () => {
    const w = await world(Visibility.PUBLIC, []);
    const jobId = await enqueue(w);
    const e = await rejection(h.jobs(alice).reportDiscrepancy({ jobId, signalId: digest("s"), reproduced: 1, reproducedOutputDigest: digest("o") }));
    expect([e.code, e.message]).toEqual(["failed_precondition", expect.stringContaining(`job ${jobId} is queued: it has no result to dispute`)]);
  });

  it("sends the check of a private problem's job to another of its owner's adapters", async () => {
    const w = await world(Visibility.PRIVATE, ["p1", "p2"], { p1: "alice", p2: "alice" });
    const jobId = await enqueue(w);
    const { signalId } = await answer(w, "p1", 380);
    const r = await h.jobs(alice).reportDiscrepancy({ jobId, signalId, reproduced: 400, reproducedOutputDigest: digest("out") });
    expect(r.checkQueued).toBe(true);
    expect((await w.adapters.p1!.jobs.claimJobs({ max: 5 })).jobs).toHaveLength(0);
    const [check] = (await w.adapters.p2!.jobs.claimJobs({ max: 5 })).jobs;
    expect(check!.job!.checkOf).toBe(jobId);
  });
});

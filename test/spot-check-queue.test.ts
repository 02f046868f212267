import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentId, objectId } from "../src/kernel/codec/index.js";
import { JobState, type ClaimedJob, type EvaluationJob } from "../src/gen/openpassmarket/v1/job_service_pb.js";
import { LocalProblemSchema, Visibility, type LocalProblem } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { ActorStatus } from "../src/gen/openpassmarket/v1/registry_service_pb.js";
import { PlanStepSchema, SignalStatus } from "../src/gen/openpassmarket/v1/signal_pb.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { testDatabases } from "./support/databases.js";
import { llvmProblem, signedSignal } from "./support/fixtures.js";
import { startHarness, type JobClient, type RegistryHarness } from "./support/registry-harness.js";
import { rejection } from "./support/rejection.js";

/**
 * The spot-check rules over gRPC with signals made up by the test (no compiler): which
 * jobs are checked, who may claim a check, and what agreement, a minority and a three-way
 * split lead to — here without a ledger, where the operator decides admission.
 */
describe.each(testDatabases())("spot-check rules on $kind", (database) => {
  let h: RegistryHarness;
  let alice: Identity;
  let n = 0;

  beforeAll(async () => {
    h = await startHarness(database, { jobs: { spotCheckFraction: 1 } });
    alice = await h.identity("alice");
    await h.client(alice).registerParticipant({ publicKey: alice.keys.publicKeyRaw });
  });
  afterAll(async () => h?.close());

  interface World {
    problem: LocalProblem;
    problemId: string;
    adapters: Record<"a" | "b" | "c", { id: Identity; jobs: JobClient }>;
  }

  /** Adapters a, b, c (owned by alice) on a compiler version of their own, and one of alice's problems. */
  async function world(visibility: Visibility): Promise<World> {
    n += 1;
    const version = `14.0.${300 + n}`;
    const problem = llvmProblem("alice", `spot-${n}`, version, visibility);
    await h.client(alice).submitProblem({ problem });
    const make = (name: string) => h.admittedAdapter(`${name}-spot-${n}`, version, "alice");
    return { problem, problemId: objectId(LocalProblemSchema, problem), adapters: { a: await make("a"), b: await make("b"), c: await make("c") } };
  }

  /** `who` claims one job and completes it reporting `achieved` and output `output`; returns the job. */
  async function answer(w: World, who: "a" | "b" | "c", achieved: number, output = "out"): Promise<ClaimedJob> {
    const adapter = w.adapters[who];
    const [claimed] = (await adapter.jobs.claimJobs({ max: 1 })).jobs;
    expect(claimed, `${who} found no job to claim`).toBeDefined();
    const signal = signedSignal(adapter.id, w.problem, {
      jobId: claimed!.job!.id, pipeline: claimed!.job!.plan.map((p) => create(PlanStepSchema, p)), achieved, outputDigest: contentId(new TextEncoder().encode(output)),
    });
    await adapter.jobs.completeJob({ jobId: claimed!.job!.id, claimToken: claimed!.claimToken, signal });
    return claimed!;
  }

  /** `who` claims one job and fails it as its verifier would: the plan's output is wrong. */
  async function reject(w: World, who: "a" | "b" | "c"): Promise<void> {
    const adapter = w.adapters[who];
    const [claimed] = (await adapter.jobs.claimJobs({ max: 1 })).jobs;
    expect(claimed, `${who} found no job to claim`).toBeDefined();
    await adapter.jobs.failJob({
      jobId: claimed!.job!.id, claimToken: claimed!.claimToken, code: "verification_failed", retryable: false,
      message: "transform rejected by layer semantics", detail: "stdout differs at line 1",
    });
  }

  const jobsOf = async (w: World): Promise<EvaluationJob[]> => (await h.jobs(alice).listJobs({ problemId: w.problemId })).jobs;
  const statusOf = async (name: string) => (await h.client(h.admin).getActor({ name })).actor!.status;
  const audit = async (action: string, object: string) =>
    (await h.client(h.admin).listAuditEvents({ limit: 1000 })).events.filter((e) => e.action === action && e.object === object);
  const enqueue = (w: World) => h.jobs(alice).enqueueJobs({ problemId: w.problemId, plans: [{ steps: [{ pass: "instcombine", value: "" }] }] });

  it("never checks a private problem's job: its IR must not reach another participant's adapter", async () => {
    const w = await world(Visibility.PRIVATE);
    await enqueue(w);
    await answer(w, "a", 400);
    const jobs = await jobsOf(w);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ state: JobState.SUCCEEDED, signalStatus: SignalStatus.ACCEPTED });
  });

  it("holds a checked signal provisional until another adapter agrees, then accepts both", async () => {
    const w = await world(Visibility.PUBLIC);
    const original = (await enqueue(w)).jobIds[0]!;
    await answer(w, "a", 400);
    let jobs = await jobsOf(w);
    expect(jobs.map((j) => [j.checkOf, j.state, j.signalStatus])).toEqual([
      ["", JobState.SUCCEEDED, SignalStatus.PROVISIONAL],
      [original, JobState.QUEUED, SignalStatus.UNSPECIFIED],
    ]);
    // The adapter that answered never gets the check of its own answer.
    expect((await w.adapters.a.jobs.claimJobs({ max: 5 })).jobs).toHaveLength(0);
    await answer(w, "b", 400);
    jobs = await jobsOf(w);
    expect(jobs.map((j) => j.signalStatus)).toEqual([SignalStatus.ACCEPTED, SignalStatus.ACCEPTED]);
    expect(await audit("spot_check.agree", original)).toHaveLength(1);
  });

  it("quarantines a checker in the minority; without a ledger the operator may re-admit it", async () => {
    const w = await world(Visibility.PUBLIC);
    const original = (await enqueue(w)).jobIds[0]!;
    await answer(w, "a", 400);
    await answer(w, "b", 390);
    // Neither side of the disagreement may break the tie.
    expect((await w.adapters.a.jobs.claimJobs({ max: 5 })).jobs).toHaveLength(0);
    expect((await w.adapters.b.jobs.claimJobs({ max: 5 })).jobs).toHaveLength(0);
    await answer(w, "c", 400);
    expect((await jobsOf(w)).map((j) => j.signalStatus)).toEqual([SignalStatus.ACCEPTED, SignalStatus.REFUSED, SignalStatus.ACCEPTED]);

    const b = w.adapters.b.id.name;
    expect(await statusOf(b)).toBe(ActorStatus.QUARANTINED);
    const [event] = await audit("adapter.quarantine", b);
    expect(event!.detail).toContain(original);
    expect(event!.detail).toContain("no revocation proposal: the ledger has no genesis");
    const denied = await rejection(w.adapters.b.jobs.claimJobs({ max: 1 }));
    expect([denied.code, denied.message]).toEqual(["permission_denied", expect.stringContaining(`adapter ${b} is quarantined`)]);

    await h.client(h.admin).admitAdapter({ adapter: b, keyId: w.adapters.b.id.keys.keyId, reason: "checked by hand" });
    expect(await statusOf(b)).toBe(ActorStatus.ADMITTED);
    expect((await w.adapters.b.jobs.claimJobs({ max: 1 })).jobs).toHaveLength(0);
  });

  it("counts a checker's verifier rejecting the plan's output as an answer: two rejections refuse the original", async () => {
    const w = await world(Visibility.PUBLIC);
    const original = (await enqueue(w)).jobIds[0]!;
    await answer(w, "a", 400);
    await reject(w, "b");
    // A rejection disagrees with a passing answer: a tie-break, which neither a nor b may claim.
    let jobs = await jobsOf(w);
    expect(jobs.map((j) => [j.state, j.signalStatus])).toEqual([
      [JobState.SUCCEEDED, SignalStatus.PROVISIONAL], [JobState.DEAD, SignalStatus.UNSPECIFIED], [JobState.QUEUED, SignalStatus.UNSPECIFIED],
    ]);
    await reject(w, "c");
    jobs = await jobsOf(w);
    expect(jobs[0]!.signalStatus).toBe(SignalStatus.REFUSED);
    const a = w.adapters.a.id.name;
    expect(await statusOf(a)).toBe(ActorStatus.QUARANTINED);
    const [event] = await audit("adapter.quarantine", a);
    expect(event!.detail).toContain(original);
    expect(event!.detail).toContain("its verifier rejected the transform (transform rejected by layer semantics)");
  });

  it("quarantines a checker whose verifier rejects what two others agree on", async () => {
    const w = await world(Visibility.PUBLIC);
    await enqueue(w);
    await answer(w, "a", 400);
    await reject(w, "b");
    await answer(w, "c", 400);
    const jobs = await jobsOf(w);
    expect(jobs.map((j) => j.signalStatus)).toEqual([SignalStatus.ACCEPTED, SignalStatus.UNSPECIFIED, SignalStatus.ACCEPTED]);
    expect(await statusOf(w.adapters.b.id.name)).toBe(ActorStatus.QUARANTINED);
    expect(await statusOf(w.adapters.a.id.name)).toBe(ActorStatus.ADMITTED);
  });

  it("leaves the signals provisional when a check fails for a reason that is no answer", async () => {
    const w = await world(Visibility.PUBLIC);
    const original = (await enqueue(w)).jobIds[0]!;
    await answer(w, "a", 400);
    const [claimed] = (await w.adapters.b.jobs.claimJobs({ max: 1 })).jobs;
    await w.adapters.b.jobs.failJob({ jobId: claimed!.job!.id, claimToken: claimed!.claimToken, code: "compiler_failed", retryable: false, message: "opt crashed", detail: "" });
    expect((await jobsOf(w)).map((j) => j.signalStatus)).toEqual([SignalStatus.PROVISIONAL, SignalStatus.UNSPECIFIED]);
    expect(await audit("spot_check.unanswered", original)).toHaveLength(1);
  });

  it("refuses a quarantined adapter that keeps claiming while its quarantine commits", async () => {
    const w = await world(Visibility.PUBLIC);
    await enqueue(w);
    await answer(w, "a", 400);
    await answer(w, "b", 390);
    // b claims without pause, around and during the commit group that quarantines it.
    let polling = true;
    const refusals: string[] = [];
    const poller = Promise.all(Array.from({ length: 8 }, async () => {
      while (polling) await w.adapters.b.jobs.claimJobs({ max: 1 }).catch((err: Error) => refusals.push(err.message));
    }));
    await answer(w, "c", 400);
    await new Promise((r) => setTimeout(r, 200));
    polling = false;
    await poller;
    expect(await statusOf(w.adapters.b.id.name)).toBe(ActorStatus.QUARANTINED);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.every((m) => m.includes("is quarantined"))).toBe(true);
  });

  it("stops a quarantined adapter at once: the job it holds is back in the queue and its heartbeats are refused", async () => {
    const w = await world(Visibility.PUBLIC);
    const original = (await enqueue(w)).jobIds[0]!;
    await answer(w, "a", 400);
    // b holds another job of the same problem while its disagreeing answer is judged.
    await enqueue(w);
    await answer(w, "b", 390); // b's answer to the check of `original`
    const [held] = (await w.adapters.b.jobs.claimJobs({ max: 1 })).jobs;
    expect(held, "b holds a job").toBeDefined();
    await answer(w, "c", 400); // the tie-break: b is the minority
    expect(await statusOf(w.adapters.b.id.name)).toBe(ActorStatus.QUARANTINED);

    const heartbeat = await rejection(w.adapters.b.jobs.heartbeat({ jobId: held!.job!.id, claimToken: held!.claimToken, leaseMs: 30_000 }));
    expect([heartbeat.code, heartbeat.message]).toEqual(["permission_denied", expect.stringContaining("is quarantined")]);
    const job = (await jobsOf(w)).find((j) => j.id === held!.job!.id)!;
    expect(job.state).toBe(JobState.QUEUED);
    expect(job.errors.at(-1)?.code).toBe("lease_released");
    // Another adapter may take it right away, long before b's lease would have run out.
    const [taken] = (await w.adapters.c.jobs.claimJobs({ max: 5 })).jobs.filter((c) => c.job!.id === held!.job!.id);
    expect(taken, "c claims the released job").toBeDefined();
    expect((await audit("jobs.release", w.adapters.b.id.name))[0]!.detail).toContain(`spot check of job ${original}`);
  });

  it("refuses a signal about a job outside that job's completion: spot checks see every job result", async () => {
    const w = await world(Visibility.PUBLIC);
    const jobId = (await enqueue(w)).jobIds[0]!;
    await answer(w, "a", 400);
    const forged = signedSignal(w.adapters.a.id, w.problem, { jobId, achieved: 1, pipeline: [create(PlanStepSchema, { pass: "instcombine" })] });
    const e = await rejection(h.client(w.adapters.a.id).submitSignal({ signal: forged }));
    expect([e.code, e.message]).toEqual(["failed_precondition", expect.stringContaining("field `signal.job_id`: the signal of job")]);
    expect((await jobsOf(w)).find((j) => j.id === jobId)!.signalMetrics?.achieved).toBe(400);
  });

  it("refuses all three answers and quarantines nobody when all three differ", async () => {
    const w = await world(Visibility.PUBLIC);
    const original = (await enqueue(w)).jobIds[0]!;
    await answer(w, "a", 400);
    await answer(w, "b", 400, "other output");
    await answer(w, "c", 380);
    expect((await jobsOf(w)).map((j) => j.signalStatus)).toEqual([SignalStatus.REFUSED, SignalStatus.REFUSED, SignalStatus.REFUSED]);
    for (const who of ["a", "b", "c"] as const) expect(await statusOf(w.adapters[who].id.name)).toBe(ActorStatus.ADMITTED);
    expect(await audit("spot_check.split", original)).toHaveLength(1);
  });
});

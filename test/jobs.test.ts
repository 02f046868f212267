import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectId } from "../src/kernel/codec/index.js";
import { JobState, type ClaimedJob } from "../src/gen/openpassmarket/v1/job_service_pb.js";
import { LocalProblemSchema, Visibility, type LocalProblem } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { PlanStepSchema } from "../src/gen/openpassmarket/v1/signal_pb.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { testDatabases } from "./support/databases.js";
import { LLVM_CAPS, llvmProblem, privateProblem, signedSignal } from "./support/fixtures.js";
import { startHarness, type JobClient, type RegistryHarness } from "./support/registry-harness.js";
import { rejection as failure } from "./support/rejection.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Scenario {
  problem: LocalProblem;
  problemId: string;
  owner: JobClient;
  adapters: Array<{ id: Identity; jobs: JobClient }>;
  stranger: { id: Identity; jobs: JobClient };
}

describe.each(testDatabases())("evaluation jobs on $kind", (database) => {
  let h: RegistryHarness;
  let n = 0;

  let alice: Identity;

  beforeAll(async () => {
    h = await startHarness(database, { jobs: { baseBackoffMs: 150, defaultLeaseMs: 5_000 } });
    alice = await h.identity("alice");
    await h.client(alice).registerParticipant({ publicKey: alice.keys.publicKeyRaw });
  });
  afterAll(async () => h?.close());

  /** Adapters a1, a2 (owned by alice) and b1 (owned by bob) on a compiler version of their own. */
  async function scenario(visibility = Visibility.PRIVATE): Promise<Scenario> {
    n += 1;
    const version = `14.0.${100 + n}`;
    const make = (name: string, owner: string) => h.admittedAdapter(`${name}-${n}`, version, owner);
    const owner = h.jobs(alice);
    const problem = llvmProblem("alice", `jobs-${n}`, version, visibility);
    await h.client(alice).submitProblem({ problem });
    return {
      problem, problemId: objectId(LocalProblemSchema, problem), owner,
      adapters: [await make("a1", "alice"), await make("a2", "alice")], stranger: await make("b1", "bob"),
    };
  }

  const plans = (k: number) => Array.from({ length: k }, (_, i) => ({ steps: [{ pass: "instcombine" }, { pass: `loop-unroll`, value: String(i) }] }));
  const signalFor = (s: Scenario, adapter: Identity, claimed: ClaimedJob) =>
    signedSignal(adapter, s.problem, { jobId: claimed.job!.id, pipeline: claimed.job!.plan.map((p) => create(PlanStepSchema, p)) });

  it("routes private jobs only to the owner's adapters and never hands one job to two claimers", async () => {
    const s = await scenario();
    const { jobIds } = await s.owner.enqueueJobs({ problemId: s.problemId, plans: plans(3) });
    expect(jobIds).toHaveLength(3);
    expect((await s.stranger.jobs.claimJobs({ max: 10 })).jobs).toHaveLength(0);
    const [a1, a2] = s.adapters;
    const [first, second] = await Promise.all([a1!.jobs.claimJobs({ max: 2 }), a2!.jobs.claimJobs({ max: 2 })]);
    const ids = [...first.jobs, ...second.jobs].map((j) => j.job!.id).sort();
    expect(ids).toEqual([...jobIds].sort());
    for (const c of [...first.jobs, ...second.jobs]) {
      expect(c.job!.state).toBe(JobState.LEASED);
      expect(c.job!.attempts).toBe(1);
      expect(c.job!.ir.length).toBe(0); // private IR never travels through the registry
      expect(c.claimToken.length).toBeGreaterThan(20);
    }
  });

  it("completes with a matching signed signal, idempotently, and refuses stale or mismatched completions", async () => {
    const s = await scenario();
    await s.owner.enqueueJobs({ problemId: s.problemId, plans: plans(1) });
    const a1 = s.adapters[0]!;
    const [claimed] = (await a1.jobs.claimJobs({ max: 1 })).jobs;
    expect(claimed).toBeDefined();
    const hb = await a1.jobs.heartbeat({ jobId: claimed!.job!.id, claimToken: claimed!.claimToken, leaseMs: 20_000 });
    expect(Number(hb.leaseExpiresAtMs)).toBeGreaterThan(Date.now() + 15_000);
    expect((await failure(a1.jobs.heartbeat({ jobId: claimed!.job!.id, claimToken: "stale-token-xxxxxxxxxxxx" }))).code).toBe("failed_precondition");

    const wrongPlan = signedSignal(a1.id, s.problem, { jobId: claimed!.job!.id, pipeline: [{ pass: "gvn" }] });
    expect((await failure(a1.jobs.completeJob({ jobId: claimed!.job!.id, claimToken: claimed!.claimToken, signal: wrongPlan }))).message).toContain("signal.pipeline");

    const signal = signalFor(s, a1.id, claimed!);
    const request = { jobId: claimed!.job!.id, claimToken: claimed!.claimToken, signal };
    const done = await a1.jobs.completeJob(request, { idempotencyKey: "complete-once-1" });
    const retried = await a1.jobs.completeJob(request, { idempotencyKey: "complete-once-1" });
    expect(retried.signalId).toBe(done.signalId);
    const duplicate = await failure(a1.jobs.completeJob(request));
    expect(duplicate.code).toBe("failed_precondition");
    const [job] = (await s.owner.getJobs({ jobIds: [claimed!.job!.id] })).jobs;
    expect(job).toMatchObject({ state: JobState.SUCCEEDED, signalId: done.signalId, attempts: 1 });
  });

  it("makes a job claimable again when its lease expires, and ignores the late holder", async () => {
    const s = await scenario();
    await s.owner.enqueueJobs({ problemId: s.problemId, plans: plans(1) });
    const [a1, a2] = s.adapters;
    const [lost] = (await a1!.jobs.claimJobs({ max: 1, leaseMs: 300 })).jobs;
    expect((await a2!.jobs.claimJobs({ max: 1 })).jobs).toHaveLength(0);
    await sleep(450);
    const [again] = (await a2!.jobs.claimJobs({ max: 1 })).jobs;
    expect(again?.job!.id).toBe(lost!.job!.id);
    expect(again!.job!.attempts).toBe(2);
    expect(again!.job!.errors.map((e) => [e.code, e.adapter])).toEqual([["lease_expired", a1!.id.name]]);

    const late = await failure(a1!.jobs.completeJob({ jobId: lost!.job!.id, claimToken: lost!.claimToken, signal: signalFor(s, a1!.id, lost!) }));
    expect(late.code).toBe("failed_precondition");
    const { signalId } = await a2!.jobs.completeJob({ jobId: again!.job!.id, claimToken: again!.claimToken, signal: signalFor(s, a2!.id, again!) });
    const [job] = (await s.owner.getJobs({ jobIds: [lost!.job!.id] })).jobs;
    expect(job).toMatchObject({ state: JobState.SUCCEEDED, signalId, claimedBy: a2!.id.name });
  });

  it("retries failures with exponential backoff, then dead-letters with the error history", async () => {
    const s = await scenario();
    const a1 = s.adapters[0]!;
    const { jobIds } = await s.owner.enqueueJobs({ problemId: s.problemId, plans: plans(1), maxAttempts: 2 });
    const [c1] = (await a1.jobs.claimJobs({ max: 1 })).jobs;
    const failed = await a1.jobs.failJob({ jobId: c1!.job!.id, claimToken: c1!.claimToken, code: "compiler_failed", message: "opt crashed", detail: "Stack dump:", retryable: true });
    expect(failed.job!.state).toBe(JobState.QUEUED);
    expect(Number(failed.job!.availableAtMs)).toBeGreaterThan(Date.now() + 50);
    expect((await a1.jobs.claimJobs({ max: 1 })).jobs).toHaveLength(0); // still backing off
    await sleep(250);
    const [c2] = (await a1.jobs.claimJobs({ max: 1 })).jobs;
    expect(c2!.job!.attempts).toBe(2);
    const dead = await a1.jobs.failJob({ jobId: c2!.job!.id, claimToken: c2!.claimToken, code: "deadline_exceeded", message: "opt timed out", retryable: true });
    expect(dead.job!.state).toBe(JobState.DEAD);
    expect(dead.job!.errors.map((e) => e.code)).toEqual(["compiler_failed", "deadline_exceeded"]);
    const letters = await s.owner.listJobs({ state: JobState.DEAD, problemId: s.problemId });
    expect(letters.jobs.map((j) => j.id)).toEqual(jobIds);
    expect(letters.jobs[0]!.errors[0]!.detail).toBe("Stack dump:");
  });

  it("dead-letters a non-retryable failure at once", async () => {
    const s = await scenario();
    const a1 = s.adapters[0]!;
    await s.owner.enqueueJobs({ problemId: s.problemId, plans: plans(1) });
    const [c] = (await a1.jobs.claimJobs({ max: 1 })).jobs;
    const res = await a1.jobs.failJob({ jobId: c!.job!.id, claimToken: c!.claimToken, code: "invalid_argument", message: "unknown pass", retryable: false });
    expect(res.job!.state).toBe(JobState.DEAD);
  });

  it("lets any matching adapter claim a public problem's jobs, with the IR", async () => {
    const s = await scenario(Visibility.PUBLIC);
    await s.owner.enqueueJobs({ problemId: s.problemId, plans: plans(1) });
    const [c] = (await s.stranger.jobs.claimJobs({ max: 5 })).jobs;
    expect(Buffer.from(c!.job!.ir).toString()).toBe(Buffer.from(s.problem.ir).toString());
  });

  it("lets an adapter without an owner claim public jobs but never private ones", async () => {
    const pub = await scenario(Visibility.PUBLIC);
    const secret = privateProblem("alice", `loner-private-${n}`);
    secret.compilerVersion = pub.problem.compilerVersion; // same version: only the owner rule keeps it away
    const { problemId: secretId } = await h.client(alice).submitProblem({ problem: secret });
    const loner = await h.identity(`loner-${n}`);
    await h.client(loner).registerAdapter({ publicKey: loner.keys.publicKeyRaw, capabilities: { ...LLVM_CAPS, compilerVersion: pub.problem.compilerVersion } });
    await h.client(h.admin).admitAdapter({ adapter: loner.name, keyId: loner.keys.keyId });
    await pub.owner.enqueueJobs({ problemId: secretId, plans: plans(1) });
    const { jobIds } = await pub.owner.enqueueJobs({ problemId: pub.problemId, plans: plans(1) });
    const claimed = (await h.jobs(loner).claimJobs({ max: 5 })).jobs;
    expect(claimed.map((c) => c.job!.id)).toEqual(jobIds);
  });

  it("refuses to enqueue for someone else's problem and validates plans", async () => {
    const s = await scenario();
    const bob = await h.identity("bob");
    await h.client(bob).registerParticipant({ publicKey: bob.keys.publicKeyRaw });
    expect((await failure(h.jobs(bob).enqueueJobs({ problemId: s.problemId, plans: plans(1) }))).code).toBe("permission_denied");
    expect((await failure(s.owner.enqueueJobs({ problemId: s.problemId, plans: [{ steps: [{ pass: "" }] }] }))).message).toContain("plans[0].steps[0].pass");
    expect((await failure(s.adapters[0]!.jobs.claimJobs({ max: 0 }))).code).toBe("invalid_argument");
  });

  it("cancels only the queued jobs it is asked to, which are then never claimed; claimed ones finish", async () => {
    const s = await scenario(Visibility.PUBLIC);
    const { jobIds } = await s.owner.enqueueJobs({ problemId: s.problemId, plans: plans(4) });
    const a1 = s.adapters[0]!;
    const [claimed] = (await a1.jobs.claimJobs({ max: 1 })).jobs;
    const running = claimed!.job!.id;
    const queued = jobIds.filter((id) => id !== running);
    // Someone else's problem, an unknown id, and nothing at all are refused, and cancel nothing.
    const bob = await h.identity("bob-cancel");
    await h.client(bob).registerParticipant({ publicKey: bob.keys.publicKeyRaw });
    expect((await failure(h.jobs(bob).cancelJobs({ problemId: s.problemId, jobIds }))).code).toBe("permission_denied");
    expect((await failure(s.owner.cancelJobs({ problemId: s.problemId, jobIds: [queued[0]!, "no-such-job"] }))).message).toContain("\"no-such-job\" is not a job of problem");
    expect((await failure(s.owner.cancelJobs({ problemId: s.problemId, jobIds: [] }))).code).toBe("invalid_argument");
    expect((await s.owner.getJobs({ jobIds: queued })).jobs.map((j) => j.state)).toEqual([JobState.QUEUED, JobState.QUEUED, JobState.QUEUED]);

    const res = await s.owner.cancelJobs({ problemId: s.problemId, jobIds: [...jobIds, queued[0]!] });
    expect(res.cancelledJobIds).toEqual(queued);
    expect(res.keptJobIds).toEqual([running]);
    const states = new Map((await s.owner.getJobs({ jobIds })).jobs.map((j) => [j.id, j.state]));
    expect(queued.map((id) => states.get(id))).toEqual([JobState.CANCELLED, JobState.CANCELLED, JobState.CANCELLED]);
    expect(states.get(running)).toBe(JobState.LEASED);
    // No adapter gets a cancelled job; the claimed one still completes.
    expect((await s.adapters[1]!.jobs.claimJobs({ max: 10 })).jobs).toHaveLength(0);
    expect((await s.stranger.jobs.claimJobs({ max: 10 })).jobs).toHaveLength(0);
    await a1.jobs.completeJob({ jobId: running, claimToken: claimed!.claimToken, signal: signalFor(s, a1.id, claimed!) });
    expect((await s.owner.getJobs({ jobIds: [running] })).jobs[0]!.state).toBe(JobState.SUCCEEDED);
    // Cancelling again changes nothing.
    expect(await s.owner.cancelJobs({ problemId: s.problemId, jobIds })).toMatchObject({ cancelledJobIds: [], keptJobIds: jobIds });
    expect((await s.owner.listJobs({ problemId: s.problemId, state: JobState.CANCELLED })).jobs.map((j) => j.id).sort()).toEqual([...queued].sort());
  });
});

/**
 * A search that reaches its time limit withdraws the jobs no adapter has started, so the
 * market does not spend evaluations nobody waits for; a job already claimed finishes and
 * is kept. Real registry (both databases), real runSearch, no compiler needed: the one
 * adapter here claims by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectId } from "../src/kernel/codec/index.js";
import { JobState } from "../src/gen/openpassmarket/v1/job_service_pb.js";
import { LocalProblemSchema, Visibility } from "../src/gen/openpassmarket/v1/problem_pb.js";
import type { SearchSpace } from "../src/kernel/plan/index.js";
import { RandomSearch } from "../src/client/orchestrator/random-search.js";
import { runSearch } from "../src/client/orchestrator/run-search.js";
import { testDatabases } from "./support/databases.js";
import { llvmProblem } from "./support/fixtures.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

const space: SearchSpace = { prefix: [{ pass: "default", value: "Oz" }], alternatives: [], moves: ["instcombine", "gvn", "sroa", "dce", "licm", "simplifycfg"].map((pass) => ({ pass })), maxSteps: 6 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(testDatabases())("a search at its time limit on $kind", (database) => {
  let h: RegistryHarness;
  beforeAll(async () => {
    h = await startHarness(database);
  });
  afterAll(async () => h?.close());

  it("cancels its queued jobs and keeps the one an adapter is running", async () => {
    const alice = await h.identity("alice");
    await h.client(alice).registerParticipant({ publicKey: alice.keys.publicKeyRaw });
    const problem = llvmProblem("alice", "time-limit", "14.0.77", Visibility.PUBLIC);
    await h.client(alice).submitProblem({ problem });
    const problemId = objectId(LocalProblemSchema, problem);
    const adapter = await h.admittedAdapter("slow-adapter", "14.0.77", "alice");
    const jobs = h.jobs(alice);

    const search = runSearch({ jobs, problemId, strategy: new RandomSearch(space, 5), maxEvaluations: 0, timeLimitMs: 2_000, graceMs: 300, batchSize: 4 });
    // The adapter takes one job of the first batch and never finishes it in time.
    let claimed: string | undefined;
    for (let i = 0; i < 500 && claimed === undefined; i++) {
      claimed = (await adapter.jobs.claimJobs({ max: 1 })).jobs[0]?.job?.id;
      if (claimed === undefined) await sleep(10);
    }
    const outcome = await search;

    expect(outcome.stopReason).toBe("time_limit");
    expect(outcome.history).toHaveLength(0);
    expect(outcome.unsettled).toEqual([claimed]);
    expect(outcome.cancelled).toHaveLength(3);
    const states = new Map((await jobs.listJobs({ problemId })).jobs.map((j) => [j.id, j.state]));
    expect(states.size).toBe(4);
    expect(states.get(claimed!)).toBe(JobState.LEASED);
    for (const id of outcome.cancelled) expect(states.get(id)).toBe(JobState.CANCELLED);
    expect((await adapter.jobs.claimJobs({ max: 10 })).jobs).toHaveLength(0);
  });
});

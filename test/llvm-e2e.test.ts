import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IrStore } from "../src/adapters/framework/ir-store.js";
import { compilerToProto, objectiveToProto } from "../src/kernel/plan/proto-mapping.js";
import { countInstructions, LlvmToolchain, readLlvmIr } from "../src/adapters/llvm/index.js";
import { corpusPrograms } from "../bench/corpus/index.js";
import { JobState } from "../src/gen/openpassmarket/v1/job_service_pb.js";
import { Visibility } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { RandomSearch, runSearch } from "../src/client/orchestrator/index.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { spawnAdapter, type AdapterChild } from "./support/adapter-process.js";
import { testDatabases } from "./support/databases.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

const program = corpusPrograms().find((p) => p.name === "crc32")!;

describe("LLVM end to end: registry, real adapter processes, real opt", () => {
  let h: RegistryHarness;
  let alice: Identity;
  let work: string;
  let store: IrStore;
  const children: AdapterChild[] = [];
  const llvm = new LlvmToolchain();

  beforeAll(async () => {
    h = await startHarness(testDatabases()[0]!);
    work = mkdtempSync(join(tmpdir(), "opm-e2e-"));
    store = new IrStore(join(work, "ir"));
    alice = await h.identity("alice");
    await h.client(alice).registerParticipant({ publicKey: alice.keys.publicKeyRaw });
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.stop()));
    await h?.close();
  });

  async function startAdapter(name: string, leaseMs: number): Promise<AdapterChild> {
    const identity = await h.identity(name);
    const child = spawnAdapter("llvm", h.node.address, identity, join(work, name), ["--owner", "alice", "--ir-store", store.dir, "--lease-ms", String(leaseMs)]);
    children.push(child);
    const admin = h.client(h.admin);
    for (let i = 0; ; i++) {
      const found = await admin.getActor({ name }).catch(() => undefined);
      if (found?.actor) break;
      if (i > 600) throw new Error(`adapter ${name} never registered:\n${child.stderr()}`);
      await sleep(50);
    }
    await admin.admitAdapter({ adapter: name, keyId: identity.keys.keyId });
    return child;
  }

  it("finds a verified pipeline no larger than -Oz that plain opt reproduces and that runs correctly", async () => {
    await startAdapter("llvm-a", 30_000);
    await startAdapter("llvm-b", 30_000);
    const prepared = await llvm.prepare(program.path, "ir-instcount");
    store.put(prepared.input.bytes);
    const registry = h.client(alice);
    const info = await llvm.info();
    const { problemId } = await registry.submitProblem({
      problem: {
        participant: "alice", compiler: compilerToProto("llvm"), compilerVersion: info.version, objective: objectiveToProto("ir-instcount"),
        irDigest: prepared.digest, irFormat: prepared.input.format, visibility: Visibility.PRIVATE, baseline: prepared.baseline.value,
        features: Object.entries(prepared.features).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, value]) => ({ name, value })),
      },
    });
    const space = llvm.searchSpace(await llvm.catalog(), "ir-instcount", 8);
    const result = await runSearch({ jobs: h.jobs(alice), problemId, strategy: new RandomSearch(space, 7), maxEvaluations: 12, batchSize: 4 });
    expect(result.history).toHaveLength(12);
    const best = result.best!;
    expect(best.value).toBeLessThanOrEqual(prepared.baseline.value);

    // Every signal is signed by an adapter and carries a passing verdict.
    const signals = (await registry.listSignals({ problemId })).signals;
    expect(signals.length).toBe(12 - result.failures.length);
    expect(signals.every((s) => s.verdict?.ok && s.signature?.signature.length === 64 && s.baseline === prepared.baseline.value)).toBe(true);

    // Plain opt with the printed pipeline gives exactly the reported count …
    const input = join(work, "input.ll");
    const output = join(work, "output.ll");
    writeFileSync(input, prepared.input.bytes);
    execFileSync("opt", [`-passes=${llvm.renderPlan(best.plan)}`, "-S", input, "-o", output]);
    expect(countInstructions(readLlvmIr(readFileSync(output, "utf8")))).toBe(best.value);
    // … and the optimized program prints the same checksum as the unoptimized one.
    execFileSync("clang", ["-O0", output, "-o", join(work, "prog")], { stdio: "ignore" });
    expect(execFileSync(join(work, "prog"), { encoding: "utf8" })).toBe(readFileSync(program.expectedOutputPath, "utf8"));
  });

  it("completes a job on another adapter after its first adapter is killed mid-job", async () => {
    const prepared = await llvm.prepare(corpusPrograms().find((p) => p.name === "sha256")!.path, "ir-instcount");
    store.put(prepared.input.bytes);
    const registry = h.client(alice);
    const jobs = h.jobs(alice);
    await Promise.all(children.map((c) => c.stop()));
    children.length = 0;
    const info = await llvm.info();
    const { problemId } = await registry.submitProblem({
      problem: {
        participant: "alice", compiler: compilerToProto("llvm"), compilerVersion: info.version, objective: objectiveToProto("ir-instcount"),
        irDigest: prepared.digest, irFormat: prepared.input.format, visibility: Visibility.PRIVATE, baseline: prepared.baseline.value, label: "kill",
      },
    });
    // A long plan keeps opt busy long enough to be killed in the middle of it.
    const slow = { steps: Array.from({ length: 400 }, (_, i) => ({ pass: i % 2 ? "instcombine" : "simplifycfg", value: "" })) };
    const { jobIds } = await jobs.enqueueJobs({ problemId, plans: Array.from({ length: 4 }, () => slow) });
    const victim = await startAdapter("llvm-victim", 1_500);
    let killed: string | undefined;
    for (let i = 0; i < 2000 && killed === undefined; i++) {
      const leased = (await jobs.getJobs({ jobIds })).jobs.find((j) => j.state === JobState.LEASED && j.claimedBy === "llvm-victim");
      if (leased !== undefined) {
        victim.child.kill("SIGKILL");
        killed = leased.id;
      } else {
        await sleep(5);
      }
    }
    expect(killed).toBeDefined();
    await sleep(100);
    const afterKill = (await jobs.getJobs({ jobIds: [killed!] })).jobs[0]!;
    expect(afterKill.state).toBe(JobState.LEASED); // killed mid-job: still leased to the dead adapter
    await startAdapter("llvm-rescuer", 30_000);
    let job = afterKill;
    for (let i = 0; i < 600 && job.state !== JobState.SUCCEEDED; i++) {
      await sleep(100);
      job = (await jobs.getJobs({ jobIds: [killed!] })).jobs[0]!;
    }
    expect(job.state).toBe(JobState.SUCCEEDED);
    expect(job.claimedBy).toBe("llvm-rescuer");
    expect(job.errors.map((e) => [e.code, e.adapter])).toContainEqual(["lease_expired", "llvm-victim"]);
    const signals = (await registry.listSignals({ problemId })).signals.filter((s) => s.jobId === killed);
    expect(signals).toHaveLength(1); // completed once, by the rescuer
    expect(signals[0]!.adapter).toBe("llvm-rescuer");
  });
});

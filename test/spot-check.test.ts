import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilerToProto, objectiveToProto } from "../src/kernel/plan/proto-mapping.js";
import { LlvmToolchain } from "../src/adapters/llvm/index.js";
import { corpusPrograms } from "../bench/corpus/index.js";
import { decodeEntry } from "../src/ledger/index.js";
import { JobState, type EvaluationJob } from "../src/gen/openpassmarket/v1/job_service_pb.js";
import { ProposalState } from "../src/gen/openpassmarket/v1/ledger_service_pb.js";
import { Visibility } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { ActorStatus } from "../src/gen/openpassmarket/v1/registry_service_pb.js";
import { SignalStatus } from "../src/gen/openpassmarket/v1/signal_pb.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { spawnAdapter, type AdapterChild } from "./support/adapter-process.js";
import { testDatabases } from "./support/databases.js";
import { approveAs, governorKey, ledgerClient, type LedgerClient } from "./support/ledger-client.js";
import { startLyingAdapter, type LieMode, type LyingAdapter } from "./support/lying-adapter.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";
import { signedSignal } from "./support/fixtures.js";
import { rejection } from "./support/rejection.js";

// The liar runs the real adapter loop but skips the verifier that would expose it, signing
// a passing verdict it made up (a liar can). Honest adapters are separate `opm` processes.

const program = (name: string) => corpusPrograms().find((p) => p.name === name)!.path;
const PLAN = { steps: [{ pass: "instcombine", value: "" }, { pass: "simplifycfg", value: "" }] };

describe.each(testDatabases())("spot checks catch lying adapters, end to end over gRPC on $kind", (database) => {
  let h: RegistryHarness;
  let work: string;
  let alice: Identity;
  const llvm = new LlvmToolchain();
  const gov: Record<string, Identity> = {};
  const ledger: Record<string, LedgerClient> = {};
  const id: Record<string, Identity> = {};
  const liars: LyingAdapter[] = [];
  const honest: AdapterChild[] = [];

  beforeAll(async () => {
    h = await startHarness(database, { jobs: { spotCheckFraction: 1 } });
    work = mkdtempSync(join(tmpdir(), "opm-spot-"));
    alice = await h.identity("alice");
    await h.client(alice).registerParticipant({ publicKey: alice.keys.publicKeyRaw });
    // A ledger with k = 2 of 2 governors, which admits every adapter of the test.
    ledger.admin = ledgerClient(h, h.admin);
    for (const g of ["g1", "g2"]) {
      gov[g] = await h.identity(g);
      ledger[g] = ledgerClient(h, gov[g]!);
    }
    const genesis = (await ledger.admin.init({ governors: [governorKey(gov.g1!), governorKey(gov.g2!)], threshold: 2 })).proposal!;
    for (const g of ["g1", "g2"]) {
      await ledger[g]!.registerGovernor({ publicKey: gov[g]!.keys.publicKeyRaw });
      await approveAs(ledger[g]!, gov[g]!, genesis);
    }
    for (const name of ["liar-metric", "liar-program", "honest-a", "honest-b"]) {
      id[name] = await h.identity(name);
      const admit = (await ledger.g1!.propose({
        kind: { case: "adapterAdmission", value: { adapter: name, adapterPublicKey: id[name]!.keys.publicKeyRaw, compiler: "llvm", reason: "spot-check e2e" } },
      })).proposal!;
      await approveAs(ledger.g1!, gov.g1!, admit);
      expect((await approveAs(ledger.g2!, gov.g2!, admit)).state).toBe(ProposalState.APPLIED);
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all([...liars.map((l) => l.stop().catch(() => undefined)), ...honest.map((c) => c.stop())]);
    Object.values(ledger).forEach((c) => c.close());
    await h?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Submits corpus program `name` as alice's public LLVM problem; returns its id. */
  async function publicProblem(name: string): Promise<string> {
    const prepared = await llvm.prepare(program(name), "ir-instcount");
    const info = await llvm.info();
    const { problemId } = await h.client(alice).submitProblem({
      problem: {
        participant: "alice", compiler: compilerToProto("llvm"), compilerVersion: info.version, objective: objectiveToProto("ir-instcount"),
        irDigest: prepared.digest, irFormat: prepared.input.format, visibility: Visibility.PUBLIC, baseline: prepared.baseline.value,
        ir: prepared.input.bytes, label: name,
      },
    });
    return problemId;
  }

  function startLiar(name: string, mode: LieMode, otherProgram = ""): LyingAdapter {
    const liar = startLyingAdapter(h.node.address, id[name]!, mode, otherProgram);
    liars.push(liar);
    return liar;
  }

  function startHonest(name: string): AdapterChild {
    const child = spawnAdapter("llvm", h.node.address, id[name]!, join(work, name));
    honest.push(child);
    return child;
  }

  async function stopHonest(): Promise<void> {
    await Promise.all(honest.splice(0).map((c) => c.stop()));
  }

  /** The jobs of `problemId` once `done` holds for them (polled), with adapter logs on timeout. */
  async function jobsWhen(problemId: string, done: (jobs: EvaluationJob[]) => boolean, what: string): Promise<EvaluationJob[]> {
    const deadline = Date.now() + 150_000;
    for (;;) {
      const { jobs } = await h.jobs(alice).listJobs({ problemId });
      if (done(jobs)) return jobs;
      if (Date.now() > deadline) {
        const logs = [...liars.map((l) => l.log()), ...honest.map((c) => c.stderr())].join("\n---\n");
        throw new Error(`timed out waiting for ${what}; jobs: ${JSON.stringify(jobs.map((j) => [j.id, JobState[j.state], j.claimedBy, j.checkOf]))}\n${logs}`);
      }
      await sleep(100);
    }
  }

  const succeeded = (jobs: EvaluationJob[], n: number) => jobs.length === n && jobs.every((j) => j.state === JobState.SUCCEEDED);

  /** Signal status by job id, as the participant sees them through ListSignals. */
  async function statusByJob(problemId: string): Promise<Map<string, SignalStatus>> {
    const page = await h.client(alice).listSignals({ problemId, pageSize: 1000 });
    return new Map(page.signals.map((s, i) => [s.jobId, page.statuses[i]!]));
  }

  async function auditEvents(action: string) {
    return (await h.client(h.admin).listAuditEvents({ limit: 1000 })).events.filter((e) => e.action === action);
  }

  /** Asserts `liar` is quarantined and refused at its next call, naming the quarantine. */
  async function expectQuarantined(liar: string): Promise<void> {
    expect((await h.client(h.admin).getActor({ name: liar })).actor!.status).toBe(ActorStatus.QUARANTINED);
    const denied = await rejection(h.jobs(id[liar]!).claimJobs({ max: 1 }));
    expect(denied.code).toBe("permission_denied");
    expect(denied.message).toContain(`adapter ${liar} is quarantined`);
  }

  /** The pending revocation of `liar`, proposed by the node itself (its log origin). */
  async function revocationProposal(liar: string) {
    const { origin } = await ledger.admin!.getCheckpoint({});
    const found = (await ledger.admin!.listProposals({})).proposals.filter((p) => p.kind === "adapterRevocation")
      .find((p) => { const k = decodeEntry(p.entry).kind; return k.case === "adapterRevocation" && k.value.adapter === liar; });
    expect(found).toBeDefined();
    expect(found!.proposer).toBe(origin);
    return found!;
  }

  it("refuses and quarantines an adapter that reports a smaller metric than its output has", async () => {
    const problemId = await publicProblem("nqueens");
    const originalId = (await h.jobs(alice).enqueueJobs({ problemId, plans: [PLAN] })).jobIds[0]!;

    // The liar alone answers the original; its signal stays provisional under a check it may not claim.
    const liar = startLiar("liar-metric", "smaller-metric");
    let jobs = await jobsWhen(problemId, (js) => js.some((j) => j.id === originalId && j.state === JobState.SUCCEEDED) && js.length === 2, "the liar's answer and its check job");
    const original = jobs.find((j) => j.id === originalId)!;
    expect(original).toMatchObject({ claimedBy: "liar-metric", signalStatus: SignalStatus.PROVISIONAL, checkOf: "" });
    const check = jobs.find((j) => j.id !== originalId)!;
    expect(check).toMatchObject({ checkOf: originalId, state: JobState.QUEUED });
    expect((await h.jobs(id["liar-metric"]!).claimJobs({ max: 4 })).jobs).toHaveLength(0);
    // An adapter is not shown the provisional result it might be asked to check; the participant is.
    expect((await h.client(id["liar-metric"]!).listSignals({ problemId })).signals).toHaveLength(0);
    expect((await statusByJob(problemId)).get(originalId)).toBe(SignalStatus.PROVISIONAL);

    // One honest adapter disagrees: a tie-break that neither of the two may claim waits for a third.
    startHonest("honest-a");
    jobs = await jobsWhen(problemId, (js) => js.length === 3, "the tie-break job");
    expect(jobs.find((j) => j.id === check.id)).toMatchObject({ state: JobState.SUCCEEDED, claimedBy: "honest-a", signalStatus: SignalStatus.PROVISIONAL });
    const tieBreak = jobs.find((j) => j.id !== originalId && j.id !== check.id)!;
    expect(tieBreak).toMatchObject({ checkOf: originalId, state: JobState.QUEUED });
    expect((await h.client(h.admin).getActor({ name: "liar-metric" })).actor!.status).toBe(ActorStatus.ADMITTED);
    expect((await auditEvents("spot_check.disagree")).map((e) => e.object)).toContain(originalId);

    // The second honest adapter sides with the first: the liar's signal is refused, it is quarantined.
    startHonest("honest-b");
    jobs = await jobsWhen(problemId, (js) => succeeded(js, 3), "the tie-break answer");
    expect(jobs.find((j) => j.id === tieBreak.id)!.claimedBy).toBe("honest-b");
    const statuses = await statusByJob(problemId);
    expect([statuses.get(originalId), statuses.get(check.id), statuses.get(tieBreak.id)])
      .toEqual([SignalStatus.REFUSED, SignalStatus.ACCEPTED, SignalStatus.ACCEPTED]);
    expect(jobs.map((j) => j.signalStatus)).toEqual([SignalStatus.REFUSED, SignalStatus.ACCEPTED, SignalStatus.ACCEPTED]);

    await expectQuarantined("liar-metric");
    const signals = (await h.client(alice).listSignals({ problemId })).signals;
    const lie = signals.find((s) => s.jobId === originalId)!;
    const truth = signals.find((s) => s.jobId === check.id)!;
    expect(lie.outputDigest).toBe(truth.outputDigest);
    expect(lie.achieved).toBeLessThan(truth.achieved);
    const [event] = (await auditEvents("adapter.quarantine")).filter((e) => e.object === "liar-metric");
    for (const evidence of [originalId, check.id, tieBreak.id, `achieved ${lie.achieved}`, `achieved ${truth.achieved}`, truth.outputDigest]) {
      expect(event!.detail).toContain(evidence);
    }

    // The node proposed the revocation; k = 2 governors approve it and the liar is revoked.
    const proposal = await revocationProposal("liar-metric");
    expect(proposal.state).toBe(ProposalState.PENDING);
    expect(event!.detail).toContain(proposal.id);
    await approveAs(ledger.g1!, gov.g1!, proposal);
    expect((await approveAs(ledger.g2!, gov.g2!, proposal)).state).toBe(ProposalState.APPLIED);
    expect((await h.client(h.admin).getActor({ name: "liar-metric" })).actor!.status).toBe(ActorStatus.REVOKED);
    await liar.stop();

    // The honest adapters keep working: a new job and its check, one each, both accepted.
    const [next] = (await h.jobs(alice).enqueueJobs({ problemId, plans: [{ steps: [{ pass: "sroa", value: "" }, ...PLAN.steps] }] })).jobIds;
    jobs = await jobsWhen(problemId, (js) => succeeded(js, 5), "an honest job and its check");
    const pair = jobs.filter((j) => j.id === next || j.checkOf === next);
    expect(pair.map((j) => j.signalStatus)).toEqual([SignalStatus.ACCEPTED, SignalStatus.ACCEPTED]);
    expect(pair.map((j) => j.claimedBy).sort()).toEqual(["honest-a", "honest-b"]);
    await stopHonest();
  }, 300_000);

  it("refuses and quarantines an adapter that returns another program's output", async () => {
    const problemId = await publicProblem("rc4");
    const originalId = (await h.jobs(alice).enqueueJobs({ problemId, plans: [PLAN] })).jobIds[0]!;
    const liar = startLiar("liar-program", "other-program", program("crc32"));
    await jobsWhen(problemId, (js) => js.length === 2, "the liar's answer and its check job");
    // A claim the liar made outside any job: nobody checks it, so it stands — until the liar is caught.
    const { problem } = await h.client(alice).getProblem({ problemId });
    const unchecked = await h.client(id["liar-program"]!).submitSignal({ signal: signedSignal(id["liar-program"]!, problem!, { achieved: 1 }) });
    expect((await h.client(alice).listSignals({ problemId })).statuses).toContain(SignalStatus.ACCEPTED);
    // Both honest adapters at once: one takes the check, the other the tie-break.
    startHonest("honest-a");
    startHonest("honest-b");
    const jobs = await jobsWhen(problemId, (js) => succeeded(js, 3), "the check and the tie-break");
    expect(jobs.find((j) => j.id === originalId)!.claimedBy).toBe("liar-program");
    expect(jobs.filter((j) => j.checkOf === originalId).map((j) => j.claimedBy).sort()).toEqual(["honest-a", "honest-b"]);
    expect(jobs.map((j) => j.signalStatus)).toEqual([SignalStatus.REFUSED, SignalStatus.ACCEPTED, SignalStatus.ACCEPTED]);

    await expectQuarantined("liar-program");
    const signals = (await h.client(alice).listSignals({ problemId })).signals;
    const lie = signals.find((s) => s.jobId === originalId)!;
    const truths = signals.filter((s) => s.jobId !== originalId && s.jobId !== "");
    expect(new Set(truths.map((s) => s.outputDigest)).size).toBe(1);
    expect(lie.outputDigest).not.toBe(truths[0]!.outputDigest);
    const [event] = (await auditEvents("adapter.quarantine")).filter((e) => e.object === "liar-program");
    expect(event!.detail).toContain(lie.outputDigest);
    expect(event!.detail).toContain(truths[0]!.outputDigest);
    // The uncorroborated claim is refused with it; the honest answers stay accepted.
    expect(event!.detail).toContain("1 uncorroborated signal(s) of liar-program refused");
    const listed = await h.client(alice).listSignals({ problemId });
    expect(listed.statuses[listed.signalIds.indexOf(unchecked.signalId)]).toBe(SignalStatus.REFUSED);
    // Its signal submissions are refused too, and the revocation awaits the governors.
    const proposal = await revocationProposal("liar-program");
    expect(proposal.state).toBe(ProposalState.PENDING);
    expect(proposal.tallies.map((t) => `${t.governorSet} ${t.have}/${t.need}`)).toEqual(["current 0/2"]);
    expect((await rejection(h.client(id["liar-program"]!).submitSignal({ signal: lie }))).code).toBe("permission_denied");
    // The liar's own process notices at its next claim and waits for the governors, saying why.
    for (const deadline = Date.now() + 20_000; !liar.log().includes("quarantined by a spot check");) {
      expect(Date.now(), `the liar never logged its quarantine:\n${liar.log()}`).toBeLessThan(deadline);
      await sleep(100);
    }
    await liar.stop();
    await stopHonest();
  }, 300_000);
});

import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ed25519NoteVerifier, openCheckpoint, signEntry, verifyExport, verifyInclusion } from "../src/ledger/index.js";
import { objectId } from "../src/kernel/codec/index.js";
import { ProposalState, type Proposal } from "../src/gen/openpassmarket/v1/ledger_service_pb.js";
import { LocalProblemSchema } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { ActorStatus } from "../src/gen/openpassmarket/v1/registry_service_pb.js";
import { PlanStepSchema } from "../src/gen/openpassmarket/v1/signal_pb.js";
import type { Identity } from "../src/kernel/pki/index.js";
import { testDatabases } from "./support/databases.js";
import { LLVM_CAPS, privateProblem, signedSignal } from "./support/fixtures.js";
import { approveAs, governorKey, ledgerClient, type LedgerClient } from "./support/ledger-client.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";
import { rejection as failure } from "./support/rejection.js";


const tally = (p: Proposal) => p.tallies.map((t) => `${t.governorSet} ${t.have}/${t.need}`).join(", ");

describe.each(testDatabases())("governance ledger over gRPC on $kind", (database) => {
  let h: RegistryHarness;
  const gov: Record<string, Identity> = {};
  const client: Record<string, LedgerClient> = {};
  let alice: Identity;
  let mallory: Identity;

  beforeAll(async () => {
    h = await startHarness(database);
    for (const name of ["g1", "g2", "g3", "g4", "g5"]) {
      gov[name] = await h.identity(name);
      client[name] = ledgerClient(h, gov[name]!);
    }
    alice = await h.identity("alice");
    mallory = await h.identity("mallory");
    await h.client(alice).registerParticipant({ publicKey: alice.keys.publicKeyRaw });
    client.admin = ledgerClient(h, h.admin);
    client.alice = ledgerClient(h, alice);
  }, 60_000);
  afterAll(async () => {
    Object.values(client).forEach((c) => c.close());
    await h?.close();
  });

  it("starts from a genesis that k = 2 of the 3 named governors must sign", async () => {
    expect((await failure(client.alice!.init({ governors: [governorKey(gov.g1!)], threshold: 1 }))).code).toBe("permission_denied");
    const bad = await failure(client.admin!.init({ governors: [governorKey(gov.g1!)], threshold: 2 }));
    expect(bad.message).toContain("threshold 2 outside [1, 1]");
    const genesis = (await client.admin!.init({ governors: ["g1", "g2", "g3"].map((g) => governorKey(gov[g]!)), threshold: 2 })).proposal!;
    expect(genesis).toMatchObject({ state: ProposalState.PENDING, entryIndex: 0n, kind: "genesis" });
    expect(tally(genesis)).toBe("new 0/2");
    // Only keys named by the ledger (or a pending genesis / rotation) may register as governors.
    expect((await failure(client.g4!.registerGovernor({ publicKey: gov.g4!.keys.publicKeyRaw }))).code).toBe("permission_denied");
    for (const g of ["g1", "g2", "g3"]) await client[g]!.registerGovernor({ publicKey: gov[g]!.keys.publicKeyRaw });

    const one = await approveAs(client.g1!, gov.g1!, genesis);
    expect([one.state, tally(one)]).toEqual([ProposalState.PENDING, "new 1/2"]);
    expect((await client.admin!.getCheckpoint({})).note).toBe("");
    const two = await approveAs(client.g2!, gov.g2!, genesis);
    expect(two.state).toBe(ProposalState.APPLIED);
    expect(two.appliedIndex).toBe(0n);
    expect(two.checkpoint).toContain("\n1\n");
    expect((await failure(client.admin!.init({ governors: [governorKey(gov.g1!)], threshold: 1 }))).code).toBe("failed_precondition");
  });

  /** Registers adapter `name` owned by alice on its own LLVM version; returns its clients. */
  async function newAdapter(name: string, version: string) {
    const id = await h.identity(name);
    await h.client(id).registerAdapter({ publicKey: id.keys.publicKeyRaw, capabilities: { ...LLVM_CAPS, compilerVersion: version }, owner: "alice" });
    return { id, registry: h.client(id), jobs: h.jobs(id) };
  }

  async function enqueueOne(version: string, seed: string) {
    const problem = privateProblem("alice", seed);
    problem.compilerVersion = version;
    await h.client(alice).submitProblem({ problem });
    await h.jobs(alice).enqueueJobs({ problemId: objectId(LocalProblemSchema, problem), plans: [{ steps: [{ pass: "instcombine" }] }] });
    return problem;
  }

  it("admits an adapter only with 2 of 3 signatures, then it works, and a 2-of-3 revocation shuts it out at once", async () => {
    const version = "14.0.201";
    const a1 = await newAdapter("ledger-a1", version);
    const problem = await enqueueOne(version, "ledger-admit");

    // The operator can no longer admit: the ledger decides.
    const admit = await failure(h.client(h.admin).admitAdapter({ adapter: a1.id.name, keyId: a1.id.keys.keyId }));
    expect(admit.code).toBe("failed_precondition");
    expect(admit.message).toContain("ledger");

    const proposal = (await client.g1!.propose({ kind: { case: "adapterAdmission", value: { adapter: a1.id.name, adapterPublicKey: a1.id.keys.publicKeyRaw, compiler: "llvm", reason: "e2e" } } })).proposal!;
    expect(tally(proposal)).toBe("current 0/2");
    let p = await approveAs(client.g1!, gov.g1!, proposal);
    expect(tally(p)).toBe("current 1/2");
    // The same governor twice counts once.
    p = await approveAs(client.g1!, gov.g1!, proposal);
    expect(tally(p)).toBe("current 1/2");
    // A valid signature by a key outside the governor set (relayed by a governor) does not count.
    p = (await client.g1!.approve({ proposalId: proposal.id, signature: signEntry(proposal.entry, mallory.keys) })).proposal!;
    expect([p.state, tally(p)]).toEqual([ProposalState.PENDING, "current 1/2"]);
    // A forged signature is refused outright.
    const forged = signEntry(proposal.entry, mallory.keys);
    forged.publicKey = gov.g3!.keys.publicKeyRaw;
    expect((await failure(client.g1!.approve({ proposalId: proposal.id, signature: forged }))).code).toBe("verification_failed");
    // Non-governors cannot approve at all.
    expect((await failure(approveAs(client.alice!, alice, proposal))).code).toBe("permission_denied");

    // One signature is not enough: the adapter is still shut out.
    expect((await failure(a1.jobs.claimJobs({ max: 1 }))).code).toBe("permission_denied");
    expect((await failure(a1.registry.submitSignal({ signal: signedSignal(a1.id, problem) }))).code).toBe("permission_denied");

    p = await approveAs(client.g2!, gov.g2!, proposal);
    expect(p.state).toBe(ProposalState.APPLIED);
    expect((await h.client(h.admin).getActor({ name: a1.id.name })).actor!.status).toBe(ActorStatus.ADMITTED);

    const [claimed] = (await a1.jobs.claimJobs({ max: 1 })).jobs;
    expect(claimed).toBeDefined();
    const signal = signedSignal(a1.id, problem, { jobId: claimed!.job!.id, pipeline: claimed!.job!.plan.map((s) => create(PlanStepSchema, s)) });
    const done = await a1.jobs.completeJob({ jobId: claimed!.job!.id, claimToken: claimed!.claimToken, signal });
    expect(done.signalId).toMatch(/^[0-9a-f]{64}$/);

    // Revocation: one signature leaves the adapter working; the second stops it at once.
    const revoke = (await client.g3!.propose({ kind: { case: "adapterRevocation", value: { adapter: a1.id.name, reason: "caught lying" } } })).proposal!;
    await approveAs(client.g3!, gov.g3!, revoke);
    expect((await a1.jobs.claimJobs({ max: 1 })).jobs).toHaveLength(0);
    expect((await approveAs(client.g1!, gov.g1!, revoke)).state).toBe(ProposalState.APPLIED);
    const denied = await failure(a1.jobs.claimJobs({ max: 1 }));
    expect(denied.code).toBe("permission_denied");
    expect(denied.message).toContain("revoked");
    expect((await failure(a1.registry.submitSignal({ signal: signedSignal(a1.id, problem) }))).code).toBe("permission_denied");
    expect((await h.client(h.admin).getActor({ name: a1.id.name })).actor!.status).toBe(ActorStatus.REVOKED);
  });

  it("refuses an adapter whose registered key differs from the key the ledger admitted", async () => {
    const a2 = await newAdapter("ledger-a2", "14.0.202");
    const other = await h.identity("ledger-a2-other");
    const proposal = (await client.g1!.propose({ kind: { case: "adapterAdmission", value: { adapter: a2.id.name, adapterPublicKey: other.keys.publicKeyRaw, compiler: "llvm" } } })).proposal!;
    await approveAs(client.g1!, gov.g1!, proposal);
    expect((await approveAs(client.g3!, gov.g3!, proposal)).state).toBe(ProposalState.APPLIED);
    const denied = await failure(a2.jobs.claimJobs({ max: 1 }));
    expect(denied.code).toBe("permission_denied");
    expect(denied.message).toContain("admitted key");
  });

  it("makes a proposal stale when another entry lands first", async () => {
    const kind = (name: string) => ({ case: "adapterAdmission" as const, value: { adapter: name, adapterPublicKey: gov.g5!.keys.publicKeyRaw, compiler: "gcc" } });
    const first = (await client.g1!.propose({ kind: kind("stale-x") })).proposal!;
    const second = (await client.g2!.propose({ kind: kind("stale-y") })).proposal!;
    await approveAs(client.g1!, gov.g1!, first);
    expect((await approveAs(client.g2!, gov.g2!, first)).state).toBe(ProposalState.APPLIED);
    const stale = await failure(approveAs(client.g1!, gov.g1!, second));
    expect([stale.code, stale.message.includes("re-propose")]).toEqual(["failed_precondition", true]);
    const listed = (await client.g1!.listProposals({ proposalId: second.id })).proposals[0]!;
    expect(listed.state).toBe(ProposalState.STALE);
  });

  it("rotates governors only with k of the old set and k' of the new set", async () => {
    const rotation = (await client.g1!.propose({ kind: { case: "governorRotation", value: { newGovernors: ["g1", "g4", "g5"].map((g) => governorKey(gov[g]!)), newThreshold: 2, reason: "rotate" } } })).proposal!;
    expect(tally(rotation)).toBe("current 0/2, new 0/2");
    // Keys named by the pending rotation may now register.
    for (const g of ["g4", "g5"]) await client[g]!.registerGovernor({ publicKey: gov[g]!.keys.publicKeyRaw });
    await approveAs(client.g2!, gov.g2!, rotation);
    let p = await approveAs(client.g3!, gov.g3!, rotation);
    expect([p.state, tally(p)]).toEqual([ProposalState.PENDING, "current 2/2, new 0/2"]);
    p = await approveAs(client.g4!, gov.g4!, rotation);
    expect([p.state, tally(p)]).toEqual([ProposalState.PENDING, "current 2/2, new 1/2"]);
    p = await approveAs(client.g1!, gov.g1!, rotation);
    expect(p.state).toBe(ProposalState.APPLIED);
    // g2 is no longer a governor; g4 and g5 are.
    expect((await failure(client.g2!.propose({ kind: { case: "adapterRevocation", value: { adapter: "stale-x" } } }))).code).toBe("permission_denied");
    const next = (await client.g4!.propose({ kind: { case: "adapterRevocation", value: { adapter: "stale-x" } } })).proposal!;
    await approveAs(client.g2!, gov.g2!, next);
    await approveAs(client.g3!, gov.g3!, next);
    p = await approveAs(client.g5!, gov.g5!, next);
    expect([p.state, tally(p)]).toEqual([ProposalState.PENDING, "current 1/2"]);
  });

  it("serves proofs against signed checkpoints and an export that verifies offline", async () => {
    const cp = await client.alice!.getCheckpoint({});
    const verifier = Ed25519NoteVerifier.fromVerifierKey(cp.logKey);
    const opened = openCheckpoint(cp.note, { origin: cp.origin, logVerifier: verifier });
    expect(opened.checkpoint.size).toBe(cp.size);
    for (let i = 0n; i < cp.size; i++) {
      const proof = await client.alice!.proveInclusion({ index: i });
      verifyInclusion(i, proof.treeSize, proof.leafHash, proof.proof, opened.checkpoint.rootHash);
    }
    const consistency = await client.alice!.proveConsistency({ fromSize: 1n });
    expect(consistency.toSize).toBe(cp.size);
    const { entries, size } = await client.alice!.listEntries({});
    expect(BigInt(entries.length)).toBe(size);
    const exported = await client.alice!.export({});
    expect(exported.nextPageToken).toBe("");
    // A page token the log never issued is refused, naming the field.
    for (const pageToken of ["nonsense", `${cp.size + 5n}.1.0`, `${cp.size}.1.${cp.size + 9n}`]) {
      expect(await failure(client.alice!.export({ pageToken }))).toMatchObject({ code: "invalid_argument" });
    }
    const verified = await verifyExport(exported.export, { logKey: cp.logKey, trustedCheckpoint: cp.note });
    expect(verified.size).toBe(cp.size);
    expect(verified.state.isAdmitted("ledger-a1")).toBe(false);
    expect(verified.state.revoked.has("ledger-a1")).toBe(true);
  });

  it("keeps the ledger across a restart", async () => {
    const before = await client.alice!.getCheckpoint({});
    await h.restart();
    const c = ledgerClient(h, alice);
    try {
      const after = await c.getCheckpoint({});
      expect([after.size, after.logKey]).toEqual([before.size, before.logKey]);
      expect((await failure(h.client(h.admin).admitAdapter({ adapter: "ledger-a2", keyId: "0".repeat(64) }))).code).toBe("failed_precondition");
    } finally {
      c.close();
    }
  });
});

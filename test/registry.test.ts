import { create, toBinary } from "@bufbuild/protobuf";
import { Client, credentials, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEd25519, objectId } from "../src/kernel/codec/index.js";
import { OpmError } from "../src/kernel/errors/index.js";
import { Compiler, FeatureSchema } from "../src/gen/openpassmarket/v1/common_pb.js";
import { ContractEdge_Kind, PassLevel, PassParameter_Kind } from "../src/gen/openpassmarket/v1/contracts_pb.js";
import { HealthCheckRequestSchema, HealthCheckResponseSchema } from "../src/gen/grpc/health/v1/health_pb.js";
import { LocalProblemSchema, Visibility } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { ActorStatus, RegistryService, SubmitProblemRequestSchema } from "../src/gen/openpassmarket/v1/registry_service_pb.js";
import { createCertificateAuthority, issueIdentity, type Identity } from "../src/kernel/pki/index.js";
import { callUnary, GRPC_STATUS } from "./support/grpc.js";
import { signedMetadata, methodPath } from "../src/kernel/wire/index.js";
import { testDatabases } from "./support/databases.js";
import { BASE_DECLS, LLVM_CAPS, passSpec, privateProblem, signedSignal } from "./support/fixtures.js";
import { startHarness, type RegistryClient, type RegistryHarness } from "./support/registry-harness.js";
import { rejection as failure } from "./support/rejection.js";


describe.each(testDatabases())("registry over mTLS on $kind", (database) => {
  let h: RegistryHarness;
  let admin: RegistryClient;
  let participant: Identity;
  let adapter: Identity;
  let asParticipant: RegistryClient;
  let asAdapter: RegistryClient;

  beforeAll(async () => {
    h = await startHarness(database, { maxMessageBytes: 256 * 1024 });
    admin = h.client(h.admin);
    participant = await h.identity("alice");
    adapter = await h.identity("llvm-alice-1");
    asParticipant = h.client(participant);
    asAdapter = h.client(adapter);
  });
  afterAll(async () => h?.close());

  it("drives registration, admission, publication, discovery, problems and signals end to end", async () => {
    const p = await asParticipant.registerParticipant({ publicKey: participant.keys.publicKeyRaw });
    expect(p.actor?.status).toBe(ActorStatus.ADMITTED);

    const reg = await asAdapter.registerAdapter({ publicKey: adapter.keys.publicKeyRaw, capabilities: LLVM_CAPS, owner: "alice" });
    expect(reg.actor?.status).toBe(ActorStatus.PENDING);

    // Pending adapters cannot publish; participants cannot admit.
    expect((await failure(asAdapter.publishContracts({ decls: BASE_DECLS }))).code).toBe("permission_denied");
    expect((await failure(asParticipant.admitAdapter({ adapter: "llvm-alice-1", keyId: adapter.keys.keyId }))).code).toBe("permission_denied");
    // An admission names the key it admits: another key id is refused.
    expect((await failure(admin.admitAdapter({ adapter: "llvm-alice-1", keyId: "0".repeat(64) }))).code).toBe("failed_precondition");

    const admitted = await admin.admitAdapter({ adapter: "llvm-alice-1", keyId: adapter.keys.keyId, reason: "test" });
    expect(admitted.actor?.status).toBe(ActorStatus.ADMITTED);

    const published = await asAdapter.publishContracts({
      decls: BASE_DECLS,
      passSpecs: [passSpec("instcombine"), passSpec("simplifycfg", { invariants: ["interface"] }), passSpec("inline", { level: PassLevel.CGSCC })],
    });
    expect(published.created).toBe(5);
    expect(published.nodes.map((n) => n.ref)).toEqual([
      "llvm-ir@14.0.0", "opm-adapter-llvm@1.0.0", "llvm/instcombine@1.0.0", "llvm/simplifycfg@1.0.0", "llvm/inline@1.0.0",
    ]);
    // Publishing the same content again is a no-op with the same ids.
    const again = await asAdapter.publishContracts({ passSpecs: [passSpec("instcombine")] });
    expect(again.created).toBe(0);
    expect(again.nodes[0]?.id).toBe(published.nodes[2]?.id);

    const fn = await asParticipant.discoverPasses({ compiler: Compiler.LLVM, level: PassLevel.FUNCTION });
    expect(fn.nodes.map((n) => n.ref)).toEqual(["llvm/instcombine@1.0.0", "llvm/simplifycfg@1.0.0"]);
    const semantic = await asParticipant.discoverPasses({ invariants: ["semantics"] });
    expect(semantic.nodes.map((n) => n.name)).toEqual(["llvm/inline", "llvm/instcombine"]);
    expect((await asParticipant.discoverPasses({ compilerVersion: "15.0.1" })).nodes).toHaveLength(0);
    expect((await asParticipant.discoverPasses({ compilerVersion: "14.0.6", namePrefix: "in" })).nodes).toHaveLength(2);
    const paged = await asParticipant.discoverPasses({ compiler: Compiler.LLVM, pageSize: 2 });
    expect(paged.nodes).toHaveLength(2);
    const rest = await asParticipant.discoverPasses({ compiler: Compiler.LLVM, pageSize: 2, pageToken: paged.nextPageToken });
    expect(rest.nodes.map((n) => n.ref)).toEqual(["llvm/simplifycfg@1.0.0"]);

    const graph = (await asParticipant.getContractGraph({ root: "llvm/instcombine@1.0.0" })).graph!;
    const refOf = new Map(graph.nodes.map((n) => [n.id, n.ref]));
    const edges = graph.edges.map((e) => `${refOf.get(e.from)} ${ContractEdge_Kind[e.kind]} ${refOf.get(e.to)}`).sort();
    expect(edges).toEqual(["llvm/instcombine@1.0.0 IMPLEMENTS opm-adapter-llvm@1.0.0", "llvm/instcombine@1.0.0 REQUIRES llvm-ir@14.0.0"]);

    // A compatible minor version supersedes the old one.
    const v11 = passSpec("instcombine", { version: "1.1.0", invariants: ["interface", "semantics", "cfg"] });
    await asAdapter.publishContracts({ passSpecs: [v11] });
    const latest = await asParticipant.discoverPasses({ namePrefix: "instcombine" });
    expect(latest.nodes.map((n) => n.ref)).toEqual(["llvm/instcombine@1.1.0"]);
    const whole = (await asParticipant.getContractGraph({})).graph!;
    expect(whole.edges.filter((e) => e.kind === ContractEdge_Kind.SUPERSEDES)).toHaveLength(1);

    const problem = privateProblem("alice");
    const submitted = await asParticipant.submitProblem({ problem });
    expect(submitted.problemId).toBe(objectId(LocalProblemSchema, problem));
    expect(submitted.created).toBe(true);
    const read = await asAdapter.getProblem({ problemId: submitted.problemId });
    expect(read.problem?.ir.length).toBe(0);

    const signal = signedSignal(adapter, problem);
    const s = await asAdapter.submitSignal({ signal });
    expect(s.created).toBe(true);
    const dup = await asAdapter.submitSignal({ signal });
    expect(dup).toMatchObject({ signalId: s.signalId, created: false });
    const listed = await asParticipant.listSignals({ problemId: submitted.problemId });
    expect(listed.signalIds).toEqual([s.signalId]);
    expect(listed.signals[0]?.achieved).toBe(400);

    // The participant reads its organisation's events (its own and its adapters'); the operator every event.
    const audit = await asParticipant.listAuditEvents({});
    expect(audit.events.map((e) => e.action)).toEqual(expect.arrayContaining([
      "participant.register", "adapter.register", "contracts.publish", "problem.submit", "signal.submit",
    ]));
    expect(audit.events.map((e) => e.action)).not.toContain("adapter.admit");
    expect((await h.client(h.admin).listAuditEvents({ limit: 1000 })).events.map((e) => e.action)).toContain("adapter.admit");
    expect(audit.events.every((e) => e.requestDigest.length === 64 || e.action === "admin.register")).toBe(true);
    // The newest two, still listed oldest first.
    const newest = await asParticipant.listAuditEvents({ limit: 2, newest: true });
    expect(newest.events.map((e) => e.sequence)).toEqual(audit.events.slice(-2).map((e) => e.sequence));
  });

  it("refuses a breaking change without a major bump, naming the field, and accepts it with one", async () => {
    const narrowed = passSpec("instcombine", { version: "1.2.0", invariants: ["interface", "semantics", "cfg"], parameters: [{ name: "max-iterations", kind: PassParameter_Kind.INT, min: 0n, max: 10n }] });
    const err = await failure(asAdapter.publishContracts({ passSpecs: [narrowed] }));
    expect(err.code).toBe("failed_precondition");
    expect(err.message).toContain("pass_specs[0].parameters[max-iterations].max");
    expect(err.message).toContain("major version bump");
    const removed = passSpec("instcombine", { version: "1.2.0", invariants: ["interface", "semantics"] });
    expect((await failure(asAdapter.publishContracts({ passSpecs: [removed] }))).message).toContain("pass_specs[0].invariants`: no longer claims \"cfg\"");
    const major = passSpec("instcombine", { version: "2.0.0", parameters: [{ name: "max-iterations", kind: PassParameter_Kind.INT, min: 0n, max: 10n }] });
    expect((await asAdapter.publishContracts({ passSpecs: [major] })).created).toBe(1);
    const older = passSpec("instcombine", { version: "1.9.0" });
    expect((await failure(asAdapter.publishContracts({ passSpecs: [older] }))).message).toContain("not newer");
    const changed = passSpec("simplifycfg", { description: "different" });
    expect((await failure(asAdapter.publishContracts({ passSpecs: [changed] }))).message).toContain("already published with different content");
  });

  it("answers an unknown contract reference with NOT_FOUND naming the field", async () => {
    const err = await failure(asAdapter.publishContracts({ passSpecs: [passSpec("gvn", { requires: ["llvm-ir@99"] })] }));
    expect(err.code).toBe("not_found");
    expect(err.message).toContain("pass_specs[0].requires[0]");
    expect((await asParticipant.discoverPasses({ namePrefix: "gvn" })).nodes).toHaveLength(0); // nothing half-written
  });

  it("rejects invalid fields with INVALID_ARGUMENT naming them", async () => {
    const withIr = privateProblem("alice", "leaky");
    withIr.ir = new TextEncoder().encode("define i32 @f() { ret i32 0 }");
    const leak = await failure(asParticipant.submitProblem({ problem: withIr }));
    expect(leak.code).toBe("invalid_argument");
    expect(leak.message).toContain("problem.ir");

    const badDigest = privateProblem("alice", "x");
    badDigest.irDigest = "not-a-digest";
    expect((await failure(asParticipant.submitProblem({ problem: badDigest }))).message).toContain("problem.ir_digest");

    const publicMismatch = privateProblem("alice", "y");
    publicMismatch.visibility = Visibility.PUBLIC;
    publicMismatch.ir = new TextEncoder().encode("other");
    expect((await failure(asParticipant.submitProblem({ problem: publicMismatch }))).message).toContain("IR hashes to");

    const unsorted = privateProblem("alice", "z");
    unsorted.features.reverse();
    expect((await failure(asParticipant.submitProblem({ problem: unsorted }))).message).toContain("problem.features[1].name");

    expect((await failure(asAdapter.submitProblem({ problem: privateProblem("alice", "w") }))).code).toBe("permission_denied");
  });

  it("refuses signals that are forged, unverified or about someone else's private problem", async () => {
    const problem = privateProblem("alice", "signals");
    await asParticipant.submitProblem({ problem });
    const forged = signedSignal(adapter, problem);
    forged.achieved = 1; // changed after signing
    expect((await failure(asAdapter.submitSignal({ signal: forged }))).code).toBe("unauthenticated");

    const failing = signedSignal(adapter, problem, { verdict: { ok: false, layers: [{ name: "semantics", ok: false, evidence: "checksum differs" }] } });
    const refused = await failure(asAdapter.submitSignal({ signal: failing }));
    expect(refused.code).toBe("verification_failed");
    expect(refused.message).toContain("semantics");

    const partial = signedSignal(adapter, problem, { verdict: { ok: true, layers: [{ name: "well-formed", ok: true, evidence: "opt -passes=verify" }] } });
    const lacking = await failure(asAdapter.submitSignal({ signal: partial }));
    expect(lacking.code).toBe("verification_failed");
    expect(lacking.message).toContain("interface, semantics, metric");

    const stranger = await h.identity("llvm-bob-1");
    const asStranger = h.client(stranger);
    await asStranger.registerAdapter({ publicKey: stranger.keys.publicKeyRaw, capabilities: LLVM_CAPS, owner: "bob" });
    await admin.admitAdapter({ adapter: "llvm-bob-1", keyId: stranger.keys.keyId });
    expect((await failure(asStranger.submitSignal({ signal: signedSignal(stranger, problem) }))).code).toBe("permission_denied");
  });

  it("authenticates every state change: bad signature, replayed nonce, stale timestamp, wrong key", async () => {
    const method = RegistryService.method.submitProblem;
    const path = methodPath(method);
    const body = toBinary(SubmitProblemRequestSchema, create(SubmitProblemRequestSchema, { problem: privateProblem("alice", "auth") }));
    const raw = asParticipant.grpc;
    const call = (md: ReturnType<typeof signedMetadata>, bytes = body) => callUnary(raw, path, bytes, md, method, Date.now() + 10_000);

    const impostor: Identity = { ...participant, keys: generateEd25519() };
    expect((await failure(call(signedMetadata(impostor, path, body)))).code).toBe("unauthenticated");

    const md = signedMetadata(participant, path, body);
    const first = await call(md);
    expect(first.created).toBe(true);
    const replay = await failure(call(md));
    expect(replay.code).toBe("nonce_replayed");

    const stale = await failure(call(signedMetadata(participant, path, body, undefined, { timestampMs: Date.now() - 10 * 60_000 })));
    expect(stale.code).toBe("stale_timestamp");

    const unsigned = signedMetadata(participant, path, body);
    unsigned.remove("opm-signature");
    expect((await failure(call(unsigned))).code).toBe("unauthenticated");

    // A signature over other bytes does not verify.
    const other = toBinary(SubmitProblemRequestSchema, create(SubmitProblemRequestSchema, { problem: privateProblem("alice", "other") }));
    expect((await failure(call(signedMetadata(participant, path, other)))).code).toBe("unauthenticated");
  });

  it("returns the first result for a retried idempotency key and refuses the key for another request", async () => {
    const key = "retry-key-0001";
    const a = await asParticipant.submitProblem({ problem: privateProblem("alice", "idem") }, { idempotencyKey: key });
    const b = await asParticipant.submitProblem({ problem: privateProblem("alice", "idem") }, { idempotencyKey: key });
    expect(b).toEqual(a);
    expect(b.created).toBe(true); // the stored first answer, not a second execution
    const err = await failure(asParticipant.submitProblem({ problem: privateProblem("alice", "different") }, { idempotencyKey: key }));
    expect(err.code).toBe("failed_precondition");
  });

  it("answers malformed protobuf with INVALID_ARGUMENT and oversized messages with RESOURCE_EXHAUSTED", async () => {
    const method = RegistryService.method.submitProblem;
    const path = methodPath(method);
    const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const malformed = await failure(callUnary(asParticipant.grpc, path, garbage, signedMetadata(participant, path, garbage), method, Date.now() + 10_000));
    expect(malformed.code).toBe("malformed_message");
    expect(GRPC_STATUS(malformed)).toBe(status.INVALID_ARGUMENT);

    const huge = privateProblem("alice", "huge");
    huge.label = "";
    huge.features = Array.from({ length: 2400 }, (_, i) => create(FeatureSchema, { name: `f${String(i).padStart(4, "0")}${"x".repeat(100)}`, value: i }));
    const big = await failure(asParticipant.submitProblem({ problem: huge }));
    expect(big.code).toBe("resource_exhausted");
  });

  it("refuses connections without a client certificate or with one from another CA", async () => {
    const noCert = new Client(h.node.address, credentials.createSsl(Buffer.from(h.admin.caPem)));
    const bare = await failure(callUnary(noCert, methodPath(RegistryService.method.listAuditEvents), new Uint8Array(), signedMetadata(participant, "/x", new Uint8Array()), RegistryService.method.listAuditEvents, Date.now() + 5_000));
    expect(GRPC_STATUS(bare)).toBe(status.UNAVAILABLE);
    noCert.close();

    const otherCa = await createCertificateAuthority("evil CA");
    const outsider = await issueIdentity(otherCa, "alice");
    outsider.caPem = h.admin.caPem; // it trusts the real server, but its own cert chains to the other CA
    const asOutsider = h.client(outsider);
    expect(GRPC_STATUS(await failure(asOutsider.listAuditEvents({})))).toBe(status.UNAVAILABLE);
  });

  it("enforces deadlines", async () => {
    const err = await failure(asParticipant.listAuditEvents({ limit: 1000 }, { deadlineMs: 0 }));
    expect(err.code).toBe("deadline_exceeded");
  });

  it("keeps serving after every failure, reports health, and keeps acknowledged objects across a restart", async () => {
    const health = await callUnary(asParticipant.grpc, "/grpc.health.v1.Health/Check",
      toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service: RegistryService.typeName })),
      signedMetadata(participant, "/", new Uint8Array()), { output: HealthCheckResponseSchema }, Date.now() + 5_000);
    expect(health.status).toBe(1);

    const before = await asParticipant.listAuditEvents({ limit: 1000 });
    const problem = privateProblem("alice", "durable");
    const { problemId } = await asParticipant.submitProblem({ problem });
    await h.restart();
    const after = await asParticipant.getProblem({ problemId });
    expect(after.problem?.label).toBe("durable");
    const events = await asParticipant.listAuditEvents({ limit: 1000 });
    expect(events.events.length).toBe(before.events.length + 1);
    expect((await asParticipant.discoverPasses({ compiler: Compiler.LLVM, allVersions: true })).nodes.length).toBeGreaterThanOrEqual(4);
  });
});

describe("rate limits", () => {
  it("answers RESOURCE_EXHAUSTED past an identity's burst and serves others", async () => {
    const h = await startHarness(testDatabases()[0]!, { rateLimit: { perSecond: 1, burst: 5 } });
    try {
      const alice = await h.identity("alice");
      const c = h.client(alice);
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => c.discoverPasses({})));
      const limited = results.filter((r) => r.status === "rejected" && (r.reason as OpmError).code === "resource_exhausted");
      expect(limited.length).toBe(3);
      const bob = h.client(await h.identity("bob"));
      await expect(bob.discoverPasses({})).resolves.toBeDefined();
    } finally {
      await h.close();
    }
  });
});


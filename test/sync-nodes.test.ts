import { fromBinary } from "@bufbuild/protobuf";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main.js";
import { canonicalBytes, objectId } from "../src/kernel/codec/index.js";
import { writeIdentity, type Identity } from "../src/kernel/pki/index.js";
import { parseVerifierKey } from "../src/ledger/index.js";
import type { Proposal } from "../src/gen/openpassmarket/v1/ledger_service_pb.js";
import { createRpcClient } from "../src/kernel/wire/index.js";
import { LocalProblemSchema, Visibility, type LocalProblem } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { PerformanceSignalSchema } from "../src/gen/openpassmarket/v1/signal_pb.js";
import { SyncService } from "../src/gen/openpassmarket/v1/sync_service_pb.js";
import { ReleaseRecordSchema } from "../src/gen/openpassmarket/v1/sync_pb.js";
import { PgPeerStore, pullDeltas } from "../src/server/sync/index.js";
import { chargeAndRelease } from "../src/server/privacy/index.js";
import { createCallContext } from "../src/server/rpc/index.js";
import { laplaceForEpsilon, parseAmount, rational } from "../src/privacy/index.js";
import { testDatabases } from "./support/databases.js";
import { BASE_DECLS, llvmProblem, passSpec, signedSignal } from "./support/fixtures.js";
import { approveAs, governorKey, ledgerClient } from "./support/ledger-client.js";
import { rejection } from "./support/rejection.js";
import { startHarness, type RegistryHarness } from "./support/registry-harness.js";

async function opm(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string; json: any }> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(argv);
    return { code, stdout, stderr, json: stdout.trim() === "" ? undefined : JSON.parse(stdout) };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** A private problem's measured metrics: distinct values whose float64 bytes must never cross. */
const PRIVATE_METRICS = [1234.5, 2345.25, 3456.125];

/** Writes a problem, an admitted adapter and signals straight into a node's tables (what its RPCs would commit). */
async function seed(h: RegistryHarness, tag: string, adapter: Identity): Promise<{ pub: LocalProblem; priv: LocalProblem; privSignalIds: string[] }> {
  const db = h.node.database.db;
  const now = Date.now();
  await db.insertInto("actors").values({
    name: adapter.name, kind: "adapter", public_key: adapter.keys.publicKeyRaw, key_id: adapter.keys.keyId, status: "admitted",
    capabilities: new Uint8Array(), owner: "", certificate_fingerprint: "", created_at_ms: now, updated_at_ms: now,
  }).onConflict((oc) => oc.column("name").doNothing()).execute();
  const pub = llvmProblem(`alice-${tag}`, `public-${tag}`, "14.0.6", Visibility.PUBLIC);
  const priv = llvmProblem(`bob-${tag}`, `private-${tag}`, "14.0.6", Visibility.PRIVATE);
  priv.label = `SECRET-LABEL-${tag}`;
  priv.baseline = 4242.5;
  // The private problem's source as stored (a node that holds it must still not send it).
  priv.ir = new TextEncoder().encode(`; SECRET module of bob-${tag}\ndefine i32 @secret_kernel_${tag}(i32 %x) {\n  %y = mul i32 %x, 7919\n  ret i32 %y\n}\n`);
  const privSignalIds: string[] = [];
  for (const p of [pub, priv]) {
    const id = objectId(LocalProblemSchema, p);
    await db.insertInto("problems").values({ id, participant: p.participant, compiler: p.compiler, objective: p.objective, visibility: p.visibility, body: canonicalBytes(LocalProblemSchema, p), created_at_ms: now }).execute();
    for (const achieved of p === priv ? PRIVATE_METRICS : [400, 399, 3131]) {
      const s = signedSignal(adapter, p, { achieved });
      const sid = objectId(PerformanceSignalSchema, s);
      if (p === priv) privSignalIds.push(sid);
      await db.insertInto("signals").values({ id: sid, problem_id: id, adapter: adapter.name, body: canonicalBytes(PerformanceSignalSchema, s), created_at_ms: now }).execute();
    }
  }
  // The one way a private problem's metric may leave: a DP release (what chargeAndRelease stores).
  await chargeAndRelease(createCallContext(db, { actor: priv.participant, certificateFingerprint: "", method: "/test/Release", correlationId: tag, requestDigest: "", now }), {
    participant: priv.participant, family: "llvm/ir-instcount", subject: privSignalIds[0]!, quantity: "improvement_bp", value: 1234n,
    clamp: { min: 0n, max: 5000n }, mechanism: laplaceForEpsilon(5000n, rational(parseAmount("0.25"), 1_000_000_000n)),
    terms: { accountant: "pure-dp", total: parseAmount("1") },
  });
  await db.insertInto("audit_events").values({ actor: "test", action: "seed", object: tag, at_ms: now, correlation_id: tag, request_digest: "", detail: "" }).execute();
  return { pub, priv, privSignalIds };
}

/** A one-governor ledger genesis on `h`; returns a function that proposes and approves one entry. */
async function initLedger(h: RegistryHarness, gov?: Identity): Promise<(kind: Parameters<ReturnType<typeof ledgerClient>["propose"]>[0]["kind"]) => Promise<Proposal>> {
  gov ??= await h.identity("gov");
  const admin = ledgerClient(h, h.admin);
  const genesis = (await admin.init({ governors: [governorKey(gov)], threshold: 1 })).proposal!;
  admin.close();
  const lc = ledgerClient(h, gov);
  await lc.registerGovernor({ publicKey: gov.keys.publicKeyRaw });
  await approveAs(lc, gov, genesis);
  return async (kind) => approveAs(lc, gov, (await lc.propose({ kind })).proposal!);
}

const countPulled = async (h: RegistryHarness): Promise<number> => (await h.node.database.db.selectFrom("sync_objects").select("key").execute()).length;

describe.each(testDatabases())("delta-sync between two nodes on $kind", (database) => {
  let a: RegistryHarness;
  let b: RegistryHarness;
  let dir: string;
  let seeded: Awaited<ReturnType<typeof seed>>;
  let asB: Identity;
  const pulled: Uint8Array[] = [];
  const publish = async (name: string) => {
    await a.client(a.admin).publishContracts({ decls: BASE_DECLS, passSpecs: [passSpec(name)] });
    await a.node.sync.batcher.runOnce(true);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "opm-sync-"));
    const fast = { sync: { batchIntervalMs: 60_000, pullIntervalMs: 600_000 } };
    a = await startHarness(database, fast);
    asB = await a.identity("node-b");
    b = await startHarness(database, { ...fast, peers: [{ address: a.node.address, identity: asB, logKey: a.node.deltaKey }] });
    seeded = await seed(a, "a", await a.identity("adapter-a"));
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs A's committed state, B pulls and applies it once; private problems cross as features and digests only", async () => {
    expect(await a.node.sync.batcher.runOnce(true)).toBeGreaterThan(0);
    const [first] = await b.node.sync.pullAll();
    expect(first).toMatchObject({ batches: expect.any(Number) });
    expect((first as { batches: number }).batches).toBeGreaterThan(0);
    const again = await b.node.sync.pullAll();
    expect((again[0] as { batches: number }).batches).toBe(0);
    const objects = await b.node.database.db.selectFrom("sync_objects").selectAll().execute();
    const kinds = objects.map((o) => o.kind).sort();
    expect(kinds.filter((k) => k === "signal")).toHaveLength(3); // the public problem's only
    expect(kinds.filter((k) => k === "problem")).toHaveLength(2);
    const privId = objectId(LocalProblemSchema, seeded.priv);
    const privView = fromBinary(LocalProblemSchema, objects.find((o) => o.kind === "problem" && o.key === privId)!.value);
    expect(privView.features).toEqual(seeded.priv.features);
    expect(privView.irDigest).toBe(seeded.priv.irDigest);
    expect([privView.participant, privView.label, privView.baseline, privView.ir.length]).toEqual(["", "", 0, 0]);
    pulled.push(...objects.map((o) => o.value));
  });

  it("capture: what a peer pulls of a private problem has no IR bytes, label, baseline or measured metric; its metric crosses only as a release", async () => {
    const client = createRpcClient(SyncService, { address: a.node.address, identity: await a.identity("capture"), deadlineMs: 20_000 });
    try {
      const cp = await client.getDeltaCheckpoint({ fromSize: 0n });
      const page = await client.getDeltaBatches({ fromSequence: 0n, toSize: a.node.sync.batcher.size, maxBytes: 0 });
      const wire = Buffer.concat([Buffer.from(cp.note), ...page.batches, ...pulled]);
      const baseline = Buffer.alloc(8);
      baseline.writeDoubleLE(4242.5);
      expect(wire.includes(baseline)).toBe(false);
      expect(wire.includes(Buffer.from("SECRET-LABEL"))).toBe(false);
      // No IR/source bytes: not one 17-byte window of the private module's text crosses.
      const ir = Buffer.from(seeded.priv.ir);
      for (let i = 0; i + 17 <= ir.length; i++) expect(wire.includes(ir.subarray(i, i + 17)), `IR bytes ${i}..${i + 17}`).toBe(false);
      // Metrics only as releases: no measured value (float64) of a private signal crosses, nor
      // the ids of unreleased signals; the released one crosses as a release record only.
      for (const m of PRIVATE_METRICS) {
        const f = Buffer.alloc(8);
        f.writeDoubleLE(m);
        expect(wire.includes(f), `metric ${m}`).toBe(false);
      }
      for (const id of seeded.privSignalIds.slice(1)) expect(wire.includes(Buffer.from(id))).toBe(false);
      const objects = await b.node.database.db.selectFrom("sync_objects").select(["kind", "key", "value"]).execute();
      const naming = objects.filter((o) => Buffer.from(o.key).includes(Buffer.from(seeded.privSignalIds[0]!)) || Buffer.from(o.value).includes(Buffer.from(seeded.privSignalIds[0]!)));
      expect(naming.map((o) => o.kind)).toEqual(["release"]);
      expect(fromBinary(ReleaseRecordSchema, naming[0]!.value)).toMatchObject({ subject: seeded.privSignalIds[0], quantity: "improvement_bp" });
      expect(wire.includes(Buffer.from(seeded.priv.irDigest))).toBe(true); // digests do cross
    } finally {
      client.close();
    }
  });

  it("opm sync export + opm replay (twice) give the node's own state root bit for bit", async () => {
    const reader = join(dir, "reader");
    writeIdentity(reader, await a.identity("reader"));
    const log = join(dir, "a.opmdelta");
    const exported = await opm("sync", "export", "--registry", a.node.address, "--identity", reader, "--out", log, "--json");
    expect(exported.code, exported.stderr).toBe(0);
    const r1 = await opm("replay", log, "--json");
    const r2 = await opm("replay", log, "--json", "--log-key", a.node.deltaKey);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.json.signatures.signalsVerified).toBe(3);
    const status = await opm("sync", "status", "--registry", a.node.address, "--identity", reader, "--json");
    expect(r1.json.stateRoot).toBe(r2.json.stateRoot);
    expect(r1.json.stateRoot).toBe(status.json.stateRoot);
    // A flipped byte anywhere in a batch is refused offline too.
    const bytes = readFileSync(log);
    const at = bytes.lastIndexOf(Buffer.from("instcombine"));
    bytes[at] = bytes[at]! ^ 1;
    writeFileSync(join(dir, "tampered.opmdelta"), bytes);
    const bad = await opm("replay", join(dir, "tampered.opmdelta"), "--json");
    expect(bad.code).toBe(1);
    expect(bad.json.error.message).toMatch(/signature/);
  });

  it("opm sync mirrors a peer with a pinned key, resumes, and refuses a wrong pin", async () => {
    const id = join(dir, "mirror-id");
    writeIdentity(id, await a.identity("mirror"));
    const ok = await opm("sync", "--peer", a.node.address, "--identity", id, "--peer-key", a.node.deltaKey, "--json");
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json.batches).toBeGreaterThan(0);
    expect((await opm("sync", "--peer", a.node.address, "--identity", id, "--peer-key", a.node.deltaKey, "--json")).json.batches).toBe(0);
    const replayed = await opm("replay", ok.json.log, "--json");
    expect(replayed.code, replayed.stderr).toBe(0);
    const wrong = await opm("sync", "--peer", a.node.address, "--identity", id, "--peer-key", b.node.deltaKey, "--mirror", join(dir, "wrong"), "--json");
    expect(wrong.code).toBe(1);
    expect(wrong.json.error.message).toMatch(/unknown_key/);
  });

  it("partitioned nodes that each accepted work converge after syncing both ways", async () => {
    await seed(a, "a2", await a.identity("adapter-a2"));
    await seed(b, "b", await b.identity("adapter-b"));
    await a.node.sync.batcher.runOnce(true);
    await b.node.sync.batcher.runOnce(true);
    await b.node.sync.pullAll();
    const client = createRpcClient(SyncService, { address: b.node.address, identity: await b.identity("node-a"), deadlineMs: 20_000 });
    try {
      const r = await pullDeltas(client, new PgPeerStore(a.node.database.db, b.node.deltaKey, b.node.address));
      expect(r.batches).toBeGreaterThan(0);
      const status = async (h: RegistryHarness) => createRpcClient(SyncService, { address: h.node.address, identity: await h.identity(`st-${Math.random().toString(16).slice(2)}`) }).getSyncStatus({});
      const [sa, sb] = [await status(a), await status(b)];
      expect(sa.federatedRoot).toBe(sb.federatedRoot);
      expect(sa.stateRoot).not.toBe(sb.stateRoot);
    } finally {
      client.close();
    }
  });

  it("keeps serving after refusing a peer (a pull pinned to the wrong key fails, the node answers)", async () => {
    const client = createRpcClient(SyncService, { address: a.node.address, identity: await a.identity("node-c"), deadlineMs: 20_000 });
    try {
      const err = await pullDeltas(client, new PgPeerStore(b.node.database.db, b.node.deltaKey, a.node.address)).catch((e: unknown) => e);
      expect((err as { reason?: string }).reason).toBe("unknown_key");
      expect((await client.getSyncStatus({})).origin).toMatch(/^openpassmarket\/delta\//);
    } finally {
      client.close();
    }
  });

  // Peer admission by the governance ledger (these run last: they start each node's ledger).
  it("before a genesis the operator's pin admits: B pulls A", async () => {
    await publish("instcombine");
    const [r] = await b.node.sync.pullAll();
    expect(r).toMatchObject({ batches: 1 });
  });

  it("after B's genesis, A's log is refused (peer_not_admitted, PERMISSION_DENIED) and nothing of it is applied", async () => {
    const proposeB = await initLedger(b);
    const before = await countPulled(b);
    await publish("gvn");
    const [r] = await b.node.sync.pullAll();
    expect(r).toMatchObject({ code: "permission_denied", reason: "peer_not_admitted" });
    expect((r as { error: string }).error).toMatch(/no peer_admission entry in effect admits/);
    expect(await countPulled(b)).toBe(before);
    // B's governors admit A's key: the next pull applies what was refused.
    await proposeB({ case: "peerAdmission", value: { peer: "node-a", publicKey: parseVerifierKey(a.node.deltaKey).publicKey, reason: "federate" } });
    const [ok] = await b.node.sync.pullAll();
    expect(ok).toMatchObject({ batches: 1 });
    expect(await countPulled(b)).toBeGreaterThan(before);
    // Revoked: refused again, from the next page on.
    await proposeB({ case: "peerRevocation", value: { peer: "node-a", reason: "test" } });
    await publish("sroa");
    const [again] = await b.node.sync.pullAll();
    expect(again).toMatchObject({ code: "permission_denied", reason: "peer_not_admitted" });
    expect((again as { error: string }).error).toMatch(/revoked peers: node-a/);
  });

  it("after A's genesis only the operator and admitted peers read A's log; an unadmitted caller gets PERMISSION_DENIED", async () => {
    const gov = await a.identity("gov-a");
    const proposeA = await initLedger(a, gov);
    const asPeer = createRpcClient(SyncService, { address: a.node.address, identity: asB, deadlineMs: 20_000 });
    const asOperator = createRpcClient(SyncService, { address: a.node.address, identity: a.admin, deadlineMs: 20_000 });
    try {
      const denied = await rejection(asPeer.getDeltaCheckpoint({ fromSize: 0n }));
      expect(denied.code).toBe("permission_denied");
      expect(denied.message).toMatch(/node-b is not a peer admitted by the governance ledger/);
      expect((await rejection(asPeer.getDeltaBatches({ fromSequence: 0n, toSize: 1n, maxBytes: 0 }))).code).toBe("permission_denied");
      expect((await asOperator.getDeltaCheckpoint({ fromSize: 0n })).note).toMatch(/^openpassmarket\/delta\//);
      // Through the CLI, as an operator would: `opm ledger propose admit-peer`.
      writeIdentity(join(dir, "gov-a"), gov);
      const admitted = await opm("ledger", "propose", "admit-peer", "node-b", "--peer-key", b.node.deltaKey, "--reason", "federate", "--approve",
        "--registry", a.node.address, "--identity", join(dir, "gov-a"), "--json");
      expect(admitted.code, admitted.stderr).toBe(0);
      expect((await asPeer.getDeltaCheckpoint({ fromSize: 0n })).note).toMatch(/^openpassmarket\/delta\//);
      // One key, one peer: a second admission of B's key under another name is refused by the ledger.
      const dup = await rejection(proposeA({ case: "peerAdmission", value: { peer: "node-b2", publicKey: parseVerifierKey(b.node.deltaKey).publicKey, reason: "" } }));
      expect(dup.message).toMatch(/key already admitted as peer node-b/);
    } finally {
      asPeer.close();
      asOperator.close();
    }
  });
});

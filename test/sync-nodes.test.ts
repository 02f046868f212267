import { fromBinary } from "@bufbuild/protobuf";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli/main.js";
import { canonicalBytes, objectId } from "../src/kernel/codec/index.js";
import { writeIdentity, type Identity } from "../src/kernel/pki/index.js";
import { createRpcClient } from "../src/kernel/wire/index.js";
import { LocalProblemSchema, Visibility, type LocalProblem } from "../src/gen/openpassmarket/v1/problem_pb.js";
import { PerformanceSignalSchema } from "../src/gen/openpassmarket/v1/signal_pb.js";
import { SyncService } from "../src/gen/openpassmarket/v1/sync_service_pb.js";
import { PgPeerStore, pullDeltas } from "../src/server/sync/index.js";
import { testDatabases } from "./support/databases.js";
import { llvmProblem, signedSignal } from "./support/fixtures.js";
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
  const privSignalIds: string[] = [];
  for (const p of [pub, priv]) {
    const id = objectId(LocalProblemSchema, p);
    await db.insertInto("problems").values({ id, participant: p.participant, compiler: p.compiler, objective: p.objective, visibility: p.visibility, body: canonicalBytes(LocalProblemSchema, p), created_at_ms: now }).execute();
    for (const achieved of [400, 399, 3131]) {
      const s = signedSignal(adapter, p, { achieved });
      const sid = objectId(PerformanceSignalSchema, s);
      if (p === priv) privSignalIds.push(sid);
      await db.insertInto("signals").values({ id: sid, problem_id: id, adapter: adapter.name, body: canonicalBytes(PerformanceSignalSchema, s), created_at_ms: now }).execute();
    }
  }
  await db.insertInto("audit_events").values({ actor: "test", action: "seed", object: tag, at_ms: now, correlation_id: tag, request_digest: "", detail: "" }).execute();
  return { pub, priv, privSignalIds };
}

describe.each(testDatabases())("delta-sync between two nodes on $kind", (database) => {
  let a: RegistryHarness;
  let b: RegistryHarness;
  let dir: string;
  let seeded: Awaited<ReturnType<typeof seed>>;
  const pulled: Uint8Array[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "opm-sync-"));
    const fast = { sync: { batchIntervalMs: 60_000, pullIntervalMs: 600_000 } };
    a = await startHarness(database, fast);
    const asB = await a.identity("node-b");
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

  it("capture: nothing a peer pulls carries a private problem's label, baseline, signals or signal ids", async () => {
    const client = createRpcClient(SyncService, { address: a.node.address, identity: await a.identity("capture"), deadlineMs: 20_000 });
    try {
      const cp = await client.getDeltaCheckpoint({ fromSize: 0n });
      const page = await client.getDeltaBatches({ fromSequence: 0n, toSize: a.node.sync.batcher.size, maxBytes: 0 });
      const wire = Buffer.concat([Buffer.from(cp.note), ...page.batches, ...pulled]);
      const baseline = Buffer.alloc(8);
      baseline.writeDoubleLE(4242.5);
      expect(wire.includes(baseline)).toBe(false);
      expect(wire.includes(Buffer.from("SECRET-LABEL"))).toBe(false);
      for (const id of seeded.privSignalIds) expect(wire.includes(Buffer.from(id))).toBe(false);
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
});

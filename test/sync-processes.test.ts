// Delta-sync between real `opm serve` processes on loopback (issue 17, point 5 and the
// acceptance): three nodes, both databases, sync both ways, kill -9 of either side
// mid-sync, a partition that heals, and a malicious peer whose every attack the real
// node refuses while it keeps serving. Needs `npm run build` (bin/opm.js runs dist/).
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEd25519 } from "../src/kernel/codec/index.js";
import { ensureLedgerKey, ensureNodePki, type Identity } from "../src/kernel/pki/index.js";
import { createRpcClient } from "../src/kernel/wire/index.js";
import { RegistryService } from "../src/gen/openpassmarket/v1/registry_service_pb.js";
import { SignedDeltaBatchSchema } from "../src/gen/openpassmarket/v1/sync_pb.js";
import {
  file_openpassmarket_v1_sync_service, GetDeltaBatchesRequestSchema, GetDeltaBatchesResponseSchema, GetDeltaCheckpointRequestSchema,
  GetDeltaCheckpointResponseSchema, SyncService, type GetSyncStatusResponse,
} from "../src/gen/openpassmarket/v1/sync_service_pb.js";
import {
  consistencyProof, deltaNoteSigner, Ed25519NoteSigner, MAX_BATCH_BYTES, MemoryTreeStore, rootAt, signDeltaCheckpoint, hashLeaf,
} from "../src/ledger/index.js";
import { startRpcServer, type RpcServer } from "../src/server/rpc/index.js";
import { testDatabases } from "./support/databases.js";
import { BASE_DECLS, passSpec } from "./support/fixtures.js";
import { peerFlag, prepareNode, startLink, startServe, until, type Link, type NodeDir, type ServeProcess } from "./support/serve-process.js";

const originOf = (deltaKey: string): string => deltaKey.slice(0, deltaKey.indexOf("+"));

async function status(node: NodeDir): Promise<GetSyncStatusResponse> {
  // Generous deadlines: these bound a hang on a loaded machine, they time nothing.
  const client = createRpcClient(SyncService, { address: node.address, identity: node.admin(), deadlineMs: 120_000 });
  try {
    return await client.getSyncStatus({});
  } finally {
    client.close();
  }
}

/** What `puller` applied of `source`'s log (batches). */
const appliedOf = (s: GetSyncStatusResponse, source: NodeDir): bigint => s.peers.find((p) => p.origin === originOf(source.deltaKey))?.appliedSize ?? 0n;

async function publish(node: NodeDir, tag: string, count: number): Promise<void> {
  const client = createRpcClient(RegistryService, { address: node.address, identity: node.admin(), deadlineMs: 120_000 });
  try {
    await client.publishContracts({ decls: BASE_DECLS, passSpecs: Array.from({ length: count }, (_, i) => passSpec(`${tag}-${i}`)) });
  } finally {
    client.close();
  }
}

type Attack = "honest" | "tamper" | "reorder" | "mix_and_match" | "oversized" | "rollback" | "split_view" | "frozen" | "unknown_key";

/**
 * A malicious peer holding node A's delta key: it serves A's real batches (fetched from A)
 * under checkpoints it signs itself, altered per `mode`. Its own CA issues the puller's identity.
 */
async function startFakePeer(dir: string, a: NodeDir, b: NodeDir): Promise<{ address: string; mode: Attack; server: RpcServer; close(): Promise<void> }> {
  const pki = await ensureNodePki(dir, "127.0.0.1");
  const signer = deltaNoteSigner(ensureLedgerKey(a.dataDir));
  const stranger = new Ed25519NoteSigner(signer.name, generateEd25519());
  // Fresh clients per call: A restarts during the suite, and an old channel would back off.
  const client = (n: NodeDir) => createRpcClient(SyncService, { address: n.address, identity: n.admin(), deadlineMs: 20_000 });
  const withClient = async <T>(n: NodeDir, f: (c: ReturnType<typeof client>) => Promise<T>): Promise<T> => {
    const c = client(n);
    try {
      return await f(c);
    } finally {
      c.close();
    }
  };
  const batches: Uint8Array[] = [];
  const tree = new MemoryTreeStore();
  const refresh = (): Promise<bigint> => withClient(a, async (fromA) => {
    const target = BigInt((await fromA.getDeltaCheckpoint({ fromSize: 0n })).note.split("\n")[1]!);
    while (BigInt(batches.length) < target) {
      const page = await fromA.getDeltaBatches({ fromSequence: BigInt(batches.length), toSize: target, maxBytes: 0 });
      batches.push(...page.batches);
      await tree.appendLeaves(page.batches.map((x) => hashLeaf(x)));
    }
    return target;
  });
  const state = { mode: "honest" as Attack, served: 0n };
  const implementation: UntypedServiceImplementation = {
    getDeltaCheckpoint: (call: { request: Buffer }, done: (err: Error | null, res?: unknown) => void) => {
      void (async () => {
        const req = fromBinary(GetDeltaCheckpointRequestSchema, call.request);
        const size = await refresh();
        const mode = state.mode;
        let [at, root, time, by] = [size, await rootAt(tree, size), Date.now(), signer];
        if (mode === "rollback") at = req.fromSize - 1n;
        if (mode === "rollback") root = await rootAt(tree, at);
        if (mode === "split_view") [at, root] = [req.fromSize, randomBytes(32)];
        if (mode === "frozen") time -= 2 * 3600_000;
        if (mode === "unknown_key") by = stranger;
        const proof = req.fromSize <= at ? await consistencyProof(tree, req.fromSize, at) : [];
        state.served = at;
        return create(GetDeltaCheckpointResponseSchema, { note: signDeltaCheckpoint(by, at, root, time), consistencyProof: proof, logKey: a.deltaKey });
      })().then((r) => done(null, r), (err: Error) => done(err));
    },
    getDeltaBatches: (call: { request: Buffer }, done: (err: Error | null, res?: unknown) => void) => {
      void (async () => {
        const req = fromBinary(GetDeltaBatchesRequestSchema, call.request);
        let page = batches.slice(Number(req.fromSequence), Number(req.toSize));
        if (state.mode === "tamper") {
          // A copy: decoded bytes fields are views of the input, and `batches` is A's true log.
          const signed = fromBinary(SignedDeltaBatchSchema, Uint8Array.from(page[0]!));
          signed.signature[5] = signed.signature[5]! ^ 1;
          page = [toBinary(SignedDeltaBatchSchema, signed), ...page.slice(1)];
        }
        if (state.mode === "reorder") page = [page[1]!, page[0]!, ...page.slice(2)];
        if (state.mode === "mix_and_match") {
          const other = await withClient(b, (fromB) => fromB.getDeltaBatches({ fromSequence: 0n, toSize: 1n, maxBytes: 0 }));
          page = [other.batches[0]!, ...page.slice(1)];
        }
        if (state.mode === "oversized") page = [randomBytes(MAX_BATCH_BYTES + 1), ...page.slice(1)];
        const end = req.fromSequence + BigInt(page.length);
        return create(GetDeltaBatchesResponseSchema, { batches: page, consistencyProof: await consistencyProof(tree, end, req.toSize) });
      })().then((r) => done(null, r), (err: Error) => done(err));
    },
    getSyncStatus: (_call: unknown, done: (err: Error | null, res?: unknown) => void) => done(new Error("not served")),
  };
  const server = await startRpcServer({
    host: "127.0.0.1", port: 0, tls: { caPem: pki.ca.certPem, certPem: pki.server.certPem, keyPem: pki.server.keyPem },
    services: [{ service: SyncService, implementation }], files: [file_openpassmarket_v1_sync_service], maxMessageBytes: 32 * 1024 * 1024,
  });
  const fake = {
    address: server.address, server,
    get mode() { return state.mode; },
    set mode(m: Attack) { state.mode = m; },
    close: async () => {
      await server.shutdown();
    },
  };
  return fake;
}

describe.each(testDatabases())("delta-sync between real opm serve processes on $kind", (database) => {
  let root: string;
  let a: NodeDir;
  let b: NodeDir;
  let c: NodeDir;
  const dbs: Record<string, string | undefined> = {};
  const procs: Record<string, ServeProcess> = {};
  const flags: Record<string, string[]> = {};
  let toA: Link; // B pulls A through it
  let toB: Link; // A pulls B through it
  let fake: Awaited<ReturnType<typeof startFakePeer>>;

  const start = async (node: NodeDir) => {
    procs[node.name] = await startServe(node, { ...(dbs[node.name] === undefined ? {} : { db: dbs[node.name] }), peers: flags[node.name] ?? [] });
  };
  /** A and B agree: each applied all of the other's log, and their federated roots are equal. */
  const convergedAB = () => until("A and B to converge", async () => {
    const [sa, sb] = [await status(a), await status(b)];
    return appliedOf(sa, b) === sb.size && appliedOf(sb, a) === sa.size && sa.federatedRoot === sb.federatedRoot ? { sa, sb } : undefined;
  }, 90_000);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "opm-sync-procs-"));
    [a, b, c] = [await prepareNode(root, "a"), await prepareNode(root, "b"), await prepareNode(root, "c")];
    for (const n of [a, b, c]) dbs[n.name] = await database.create();
    [toA, toB] = [await startLink(a.address), await startLink(b.address)];
    fake = await startFakePeer(join(root, "fake"), a, b);
    const fakeNode = { ...a, name: "fake", issue: (n: string) => import("../src/kernel/pki/index.js").then((m) => m.issueIdentity(m.loadNodeCa(join(root, "fake")), n)) } as NodeDir;
    flags.a = [await peerFlag(root, a, b, toB.address)];
    flags.b = [await peerFlag(root, b, a, toA.address)];
    flags.c = [await peerFlag(root, c, b), await peerFlag(root, c, fakeNode, fake.address, a.deltaKey)];
    // The first start of an embedded database takes a while; the three start side by side.
    await Promise.all([start(a), start(b)]);
    await start(c);
  }, 600_000);

  afterAll(async () => {
    await Promise.all(Object.values(procs).map((p) => p.kill9()));
    await fake?.close();
    await toA?.close();
    await toB?.close();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it("two nodes sync both ways and a third converges on the same federated root", async () => {
    await Promise.all([publish(a, "pass-a", 20), publish(b, "pass-b", 20)]);
    // Each logs its own 22 contracts (2 declarations, the same on both, and 20 passes) first:
    // two empty logs would "converge" at once.
    await until("both nodes to log their work", async () => ((await status(a)).deltas >= 22n && (await status(b)).deltas >= 22n ? true : undefined));
    const { sa, sb } = await convergedAB();
    expect(sa.stateRoot).not.toBe(sb.stateRoot); // each keeps its own log and state
    expect(sa.size).toBeGreaterThan(0n);
    const sc = await until("C to apply A (through the fake peer, honest) and B", async () => {
      const s = await status(c);
      return appliedOf(s, a) === sa.size && appliedOf(s, b) === sb.size ? s : undefined;
    });
    expect(sc.federatedRoot).toBe(sa.federatedRoot);
  }, 120_000);

  it("kill -9 of the pulling node mid-sync: it resumes with nothing lost or applied twice", async () => {
    const before = appliedOf(await status(b), a);
    await publish(a, "pass-a-kill", 200); // 200 changes, 8 a batch: 25 batches, one page each
    const seen = await until("B to start applying A's new batches", async () => {
      const applied = appliedOf(await status(b), a);
      return applied > before ? applied : undefined;
    }, 60_000, 20);
    await procs.b!.kill9();
    const size = (await until("A to log all of it", async () => {
      const s = await status(a);
      return s.size >= before + 25n ? s : undefined;
    })).size;
    expect(seen).toBeLessThan(size); // the kill came mid-sync
    await start(b);
    const { sa, sb } = await convergedAB();
    expect(appliedOf(sb, a)).toBe(sa.size);
    expect(sb.federatedRoot).toBe(sa.federatedRoot);
  }, 240_000);

  it("kill -9 of the serving node mid-sync: the puller resumes once it is back", async () => {
    const before = appliedOf(await status(b), a);
    await publish(a, "pass-a-kill-source", 200);
    const seen = await until("B to start applying", async () => {
      const applied = appliedOf(await status(b), a);
      return applied > before ? applied : undefined;
    }, 60_000, 20);
    await procs.a!.kill9();
    const mid = appliedOf(await status(b), a);
    expect(mid).toBeGreaterThanOrEqual(seen);
    expect((await status(b)).origin).toBe(originOf(b.deltaKey)); // B keeps serving while A is gone
    await start(a);
    const { sa, sb } = await convergedAB();
    expect(appliedOf(sb, a)).toBe(sa.size);
    expect(sa.size).toBeGreaterThanOrEqual(before + 25n); // all of A's committed work is in its log after the restart
  }, 240_000);

  it("a partition where both accept work heals and converges to the same federated root", async () => {
    toA.partition();
    toB.partition();
    const [a0, b0] = [await status(a), await status(b)];
    await Promise.all([publish(a, "pass-a-split", 30), publish(b, "pass-b-split", 30)]);
    const [a1, b1] = await until("both sides to log their own work", async () => {
      const [sa, sb] = [await status(a), await status(b)];
      return sa.size > a0.size && sb.size > b0.size ? [sa, sb] as const : undefined;
    });
    // Neither side can see the other's new work while the link is cut.
    expect(appliedOf(await status(b), a)).toBe(appliedOf(b0, a));
    expect(appliedOf(await status(a), b)).toBe(appliedOf(a0, b));
    expect(a1.federatedRoot).not.toBe(b1.federatedRoot);
    toA.heal();
    toB.heal();
    const { sa, sb } = await convergedAB();
    expect(sa.federatedRoot).toBe(sb.federatedRoot);
    expect(sa.stateRoot).not.toBe(sb.stateRoot);
  }, 120_000);

  it("a malicious peer's every attack is refused with its reason, nothing is applied, and the node keeps serving", async () => {
    fake.mode = "tamper";
    await publish(a, "pass-a-attack", 40); // C now misses several batches of A
    await until("A to log it", async () => ((await status(a)).size > appliedOf(await status(c), a) + 2n ? true : undefined));
    const trusted = appliedOf(await status(c), a);
    const refusals: Record<string, string> = {};
    for (const mode of ["tamper", "reorder", "mix_and_match", "oversized", "rollback", "split_view", "frozen", "unknown_key"] as const) {
      const expected = ({ tamper: "bad_signature", reorder: "gap", oversized: "oversized_batch" } as Record<string, string>)[mode] ?? mode;
      const mark = procs.c!.logs().length;
      fake.mode = mode;
      const line = await until(`C to refuse ${mode}`, async () => procs.c!.logs().slice(mark)
        .find((l) => l.msg === "delta sync refused" && l.reason === expected && String(l.peer) === fake.address), 30_000, 50)
        .catch((err: Error) => { throw new Error(`${err.message}; C's last log lines:\n${procs.c!.stderr().slice(-3000)}`); });
      refusals[mode] = String(line.code);
      const s = await status(c); // still serving
      expect(appliedOf(s, a), mode).toBe(trusted); // nothing of a refused page applied
    }
    expect(refusals).toEqual({
      tamper: "verification_failed", reorder: "failed_precondition", mix_and_match: "verification_failed", oversized: "resource_exhausted",
      rollback: "failed_precondition", split_view: "failed_precondition", frozen: "failed_precondition", unknown_key: "permission_denied",
    });
    fake.mode = "honest";
    const sa = await status(a);
    const sc = await until("C to catch up once the peer is honest", async () => {
      const s = await status(c);
      return appliedOf(s, a) === sa.size ? s : undefined;
    });
    expect(appliedOf(sc, a)).toBe(sa.size);
  }, 240_000);
});

import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { generateEd25519, type Ed25519KeyPair } from "../src/kernel/codec/index.js";
import { GRPC_STATUS_OF } from "../src/kernel/errors/index.js";
import { DeltaChangeSchema } from "../src/gen/openpassmarket/v1/sync_pb.js";
import {
  consistencyProof, deltaNoteSigner, deltaOrigin, DeltaError, MemoryTreeStore, newDeltaTrust, rootAt, signDeltaBatch,
  signDeltaCheckpoint, ZERO_HASH, type DeltaTrust, type OpenedBatch,
} from "../src/ledger/index.js";
import { pullDeltas, type DeltaSource, type PeerStore } from "../src/server/sync/index.js";

/** An honest in-memory delta log of `key`, `n` batches of 3 changes each (`tag` makes contents differ). */
async function makeLog(key: Ed25519KeyPair, n: number, tag = "a", origin = deltaOrigin(key)) {
  const tree = new MemoryTreeStore();
  const batches: OpenedBatch[] = [];
  let prev: Uint8Array = ZERO_HASH;
  for (let i = 0; i < n; i++) {
    const b = signDeltaBatch(key, {
      origin, sequence: BigInt(i), previousHash: prev, createdAtMs: 1000n + BigInt(i),
      changes: [0, 1, 2].map((j) => create(DeltaChangeSchema, { kind: "contract", key: `${tag}-${i}-${j}`, value: new TextEncoder().encode(`value ${tag} ${i} ${j}`) })),
    });
    batches.push(b);
    prev = b.leafHash;
    await tree.appendLeaves([b.leafHash]);
  }
  return { key, tree, batches, signer: deltaNoteSigner(key), logKey: deltaNoteSigner(key).verifierKey() };
}
type Log = Awaited<ReturnType<typeof makeLog>>;

/** A peer serving `log`, with hooks an attacker uses to alter what it serves. */
function source(log: Log, alter: { batches?: (b: Uint8Array[], from: bigint) => Uint8Array[]; size?: bigint; timeMs?: number; signer?: Log } = {}): DeltaSource {
  const size = alter.size ?? BigInt(log.batches.length);
  return {
    getDeltaCheckpoint: async ({ fromSize }) => {
      const signer = alter.signer ?? log;
      const note = signDeltaCheckpoint(signer.signer, size, await rootAt(log.tree, size), alter.timeMs ?? Date.now());
      return { note, consistencyProof: fromSize <= size ? await consistencyProof(log.tree, fromSize, size) : [] };
    },
    getDeltaBatches: async ({ fromSequence, toSize }) => {
      const page = log.batches.slice(Number(fromSequence), Number(toSize)).slice(0, 2).map((b) => b.bytes);
      const served = alter.batches ? alter.batches(page, fromSequence) : page;
      const end = fromSequence + BigInt(page.length);
      return { batches: served, consistencyProof: await consistencyProof(log.tree, end, toSize) };
    },
  };
}

/** A PeerStore in memory: what was applied, once. */
class MemoryPeerStore implements PeerStore {
  applied: OpenedBatch[] = [];
  constructor(public trust: DeltaTrust) {}
  async load() { return this.trust; }
  async apply(before: DeltaTrust, opened: readonly OpenedBatch[], after: DeltaTrust) {
    expect(before.appliedSize).toBe(this.trust.appliedSize);
    this.applied.push(...opened);
    this.trust = after;
  }
}

async function refusal(p: Promise<unknown>): Promise<DeltaError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, "expected a refusal").toBeInstanceOf(DeltaError);
  return err as DeltaError;
}

describe("delta-sync refuses attacks (pure puller, honest log altered by the peer)", () => {
  it("pulls an honest log in pages, applies each batch once, and a second pull is a no-op", async () => {
    const log = await makeLog(generateEd25519(), 5);
    const store = new MemoryPeerStore(newDeltaTrust(log.logKey));
    const r = await pullDeltas(source(log), store);
    expect([r.batches, r.changes, r.appliedSize]).toEqual([5, 15, 5n]);
    expect((await pullDeltas(source(log), store)).batches).toBe(0);
    expect(store.applied.map((b) => b.batch.sequence)).toEqual([0n, 1n, 2n, 3n, 4n]);
  });

  it("test_tampered_batch: a changed byte in a batch → bad_signature (FAILED_PRECONDITION), nothing of the page applied", async () => {
    const log = await makeLog(generateEd25519(), 4);
    const store = new MemoryPeerStore(newDeltaTrust(log.logKey));
    const tampered = source(log, { batches: (b, from) => b.map((x, i) => (from + BigInt(i) === 2n ? flipLastValueByte(x) : x)) });
    const err = await refusal(pullDeltas(tampered, store));
    expect([err.reason, err.code, GRPC_STATUS_OF[err.code]]).toEqual(["bad_signature", "verification_failed", 9]);
    expect(err.sequence).toBe(2n);
    expect(store.trust.appliedSize).toBe(2n); // the page before stays applied, once
    expect((await pullDeltas(source(log), store)).batches).toBe(2); // and an honest peer resumes from there
  });

  it("test_unknown_key: batches or a checkpoint signed by a key other than the pinned one → unknown_key (PERMISSION_DENIED)", async () => {
    const honest = await makeLog(generateEd25519(), 3);
    const impostor = await makeLog(generateEd25519(), 3, "a", deltaOrigin(honest.key)); // same origin, another key
    const viaBatches = source(honest, { batches: (_b, from) => impostor.batches.slice(Number(from), Number(from) + 2).map((b) => b.bytes) });
    const e1 = await refusal(pullDeltas(viaBatches, new MemoryPeerStore(newDeltaTrust(honest.logKey))));
    expect([e1.reason, e1.code]).toEqual(["unknown_key", "permission_denied"]);
    const e2 = await refusal(pullDeltas(source(impostor), new MemoryPeerStore(newDeltaTrust(honest.logKey))));
    expect(e2.reason).toBe("unknown_key");
  });

  it("test_gap / reorder: a missing, repeated or swapped batch → gap (FAILED_PRECONDITION)", async () => {
    const log = await makeLog(generateEd25519(), 4);
    for (const alter of [(b: Uint8Array[]) => b.slice(1), (b: Uint8Array[]) => [b[1]!, b[0]!], (b: Uint8Array[]) => [b[0]!, b[0]!]]) {
      const store = new MemoryPeerStore(newDeltaTrust(log.logKey));
      const err = await refusal(pullDeltas(source(log, { batches: alter }), store));
      expect([err.reason, err.code]).toEqual(["gap", "failed_precondition"]);
      expect(store.applied).toEqual([]);
    }
  });

  it("test_snapshot_rollback: a checkpoint smaller than the trusted one → rollback; then fast-forward recovery from the honest peer", async () => {
    const log = await makeLog(generateEd25519(), 6);
    const store = new MemoryPeerStore(newDeltaTrust(log.logKey));
    await pullDeltas(source(log), store);
    const err = await refusal(pullDeltas(source(log, { size: 3n }), store));
    expect([err.reason, err.code]).toEqual(["rollback", "failed_precondition"]);
    expect(store.trust.appliedSize).toBe(6n);
    expect((await pullDeltas(source(log), store)).appliedSize).toBe(6n);
  });

  it("split view: the same key signs another history (same size, or a larger inconsistent one) → split_view", async () => {
    const key = generateEd25519();
    const a = await makeLog(key, 4, "a");
    const fork = await makeLog(key, 6, "fork");
    const store = new MemoryPeerStore(newDeltaTrust(a.logKey));
    await pullDeltas(source(a), store);
    const forkSameSize = await makeLog(key, 4, "fork");
    expect((await refusal(pullDeltas(source(forkSameSize), store))).reason).toBe("split_view");
    expect((await refusal(pullDeltas(source(fork), store))).reason).toBe("split_view");
    expect(store.trust.appliedSize).toBe(4n);
  });

  it("test_timestamp_expired (freeze): a checkpoint signed before the bound → frozen", async () => {
    const log = await makeLog(generateEd25519(), 2);
    const err = await refusal(pullDeltas(source(log, { timeMs: Date.now() - 3_600_000 }), new MemoryPeerStore(newDeltaTrust(log.logKey)), { maxCheckpointAgeMs: 60_000 }));
    expect([err.reason, err.code]).toEqual(["frozen", "failed_precondition"]);
  });

  it("mix-and-match: a batch of another node's log served in this one → mix_and_match", async () => {
    const a = await makeLog(generateEd25519(), 3);
    const b = await makeLog(generateEd25519(), 3);
    const mixed = source(a, { batches: (page, from) => page.map((x, i) => (from + BigInt(i) === 1n ? b.batches[1]!.bytes : x)) });
    const err = await refusal(pullDeltas(mixed, new MemoryPeerStore(newDeltaTrust(a.logKey))));
    expect([err.reason, err.sequence]).toEqual(["mix_and_match", 1n]);
  });

  it("a batch signed by the node but not chained to its predecessor → bad_chain", async () => {
    const key = generateEd25519();
    const log = await makeLog(key, 3);
    const unchained = signDeltaBatch(key, { origin: deltaOrigin(key), sequence: 1n, previousHash: ZERO_HASH, createdAtMs: 1n, changes: [] });
    const err = await refusal(pullDeltas(source(log, { batches: (page, from) => page.map((x, i) => (from + BigInt(i) === 1n ? unchained.bytes : x)) }), new MemoryPeerStore(newDeltaTrust(log.logKey))));
    expect(err.reason).toBe("bad_chain");
  });

  it("an oversized batch → oversized_batch (RESOURCE_EXHAUSTED) before it is parsed", async () => {
    const log = await makeLog(generateEd25519(), 2);
    const err = await refusal(pullDeltas(source(log, { batches: (page) => [new Uint8Array(9 * 1024 * 1024), ...page.slice(1)] }), new MemoryPeerStore(newDeltaTrust(log.logKey))));
    expect([err.reason, err.code, GRPC_STATUS_OF[err.code]]).toEqual(["oversized_batch", "resource_exhausted", 8]);
  });
});

/** The batch with one byte of its last change's value flipped (origin, sequence and chain intact). */
function flipLastValueByte(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  const at = Buffer.from(out).lastIndexOf("value ");
  out[at] = out[at]! ^ 0x01;
  return out;
}

import { create } from "@bufbuild/protobuf";
import { sql, type Kysely } from "kysely";
import { sha256, type Ed25519KeyPair } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import type { Logger } from "../../kernel/logger/index.js";
import { DeltaChangeSchema } from "../../gen/openpassmarket/v1/sync_pb.js";
import {
  consistencyProof,
  deltaNoteSigner,
  deltaOrigin,
  MAX_BATCH_BYTES,
  MAX_BATCH_CHANGES,
  MemoryTreeStore,
  rootAt,
  signDeltaBatch,
  signDeltaCheckpoint,
  ZERO_HASH,
  type Ed25519NoteSigner,
} from "../../ledger/index.js";
import type { Database } from "../storage/index.js";
import { collectChanges, type Candidate } from "./delta-collector.js";

/** Changes per batch the batcher writes (the reader accepts up to MAX_BATCH_CHANGES). */
export const BATCH_CHANGES = 1024;
/** Bytes of values per batch the batcher aims at; a larger single value is skipped (logged). */
const BATCH_VALUE_BYTES = MAX_BATCH_BYTES - 64 * 1024;
// Arbitrary constant naming the delta log's advisory lock ("OPMDELTA").
const DELTA_LOCK_KEY = 0x4f504d44454c5441n;

/**
 * Appends this node's committed state changes to its delta log: each pass collects what
 * `delta_items` does not carry yet (see `collectChanges`), signs it as the next batch
 * (sequence, previous leaf hash, changes) with the node's key and commits the batch and the
 * new `delta_items` in one transaction. The Merkle tree of batch leaf hashes lives in
 * memory (rebuilt from `delta_batches.leaf_hash` at start); checkpoints are signed on
 * request with the time, over the committed head only.
 */
export class DeltaBatcher {
  readonly origin: string;
  readonly signer: Ed25519NoteSigner;
  private tree = new MemoryTreeStore();
  private lastLeaf: Uint8Array = ZERO_HASH;
  private running: Promise<number> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSeen = "";
  private passes = 0;

  private constructor(private readonly db: Kysely<Database>, private readonly key: Ed25519KeyPair, private readonly log: Logger, private readonly batchChanges: number) {
    this.origin = deltaOrigin(key);
    this.signer = deltaNoteSigner(key);
  }

  /**
   * Loads the committed log (leaf hashes) and returns a batcher that continues it, writing
   * at most `batchChanges` changes a batch (1..MAX_BATCH_CHANGES; small only in tests).
   */
  static async open(db: Kysely<Database>, key: Ed25519KeyPair, log: Logger, batchChanges = BATCH_CHANGES): Promise<DeltaBatcher> {
    if (!(Number.isInteger(batchChanges) && batchChanges >= 1 && batchChanges <= MAX_BATCH_CHANGES)) {
      throw new OpmError("invalid_argument", `delta batch size ${batchChanges} is not in 1..${MAX_BATCH_CHANGES}`);
    }
    const b = new DeltaBatcher(db, key, log, batchChanges);
    const rows = await db.selectFrom("delta_batches").select(["sequence", "leaf_hash"]).orderBy("sequence").execute();
    for (const [i, r] of rows.entries()) {
      if (Number(r.sequence) !== i) throw new OpmError("internal", `delta_batches: sequence ${r.sequence} at position ${i}`);
    }
    await b.tree.appendLeaves(rows.map((r) => Uint8Array.from(r.leaf_hash)));
    b.lastLeaf = rows.length === 0 ? ZERO_HASH : Uint8Array.from(rows[rows.length - 1]!.leaf_hash);
    return b;
  }

  /** The log's signed-note verifier key: what a peer pins. */
  get logKey(): string {
    return this.signer.verifierKey();
  }

  /** Committed batches. */
  get size(): bigint {
    return BigInt(this.tree.sizeSync());
  }

  /** Runs a pass every `intervalMs` until `stop`. */
  start(intervalMs: number): void {
    const tick = () => {
      this.runOnce().catch((err: unknown) => this.log.warn("delta batch failed", { error: err })).finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => 0);
  }

  /**
   * One pass: batches until nothing is left (at most 64 batches). Skips the queries when
   * nothing was audited, appended to the ledger or released since the last pass (every
   * tenth pass looks anyway: a transaction may commit after one with a later sequence).
   * Resolves to the number of batches written. Passes never overlap.
   */
  runOnce(force = false): Promise<number> {
    const run = (this.running ?? Promise.resolve(0)).catch(() => 0).then(() => this.pass(force));
    this.running = run;
    return run;
  }

  private async pass(force: boolean): Promise<number> {
    const { rows } = await sql<{ a: string; l: string; c: string }>`select
      (select coalesce(max(sequence), 0) from audit_events)::text as a,
      (select count(*) from ledger_entries)::text as l,
      (select coalesce(max(sequence), 0) from privacy_charges)::text as c`.execute(this.db);
    const seen = `${rows[0]!.a}/${rows[0]!.l}/${rows[0]!.c}`;
    this.passes++;
    if (!force && seen === this.lastSeen && this.passes % 10 !== 0) return 0;
    let written = 0;
    for (; written < 64; written++) {
      if (!(await this.appendBatch())) break;
    }
    if (written < 64) this.lastSeen = seen;
    return written;
  }

  /** Collects, signs and commits one batch; false when there was nothing to log. */
  private async appendBatch(): Promise<boolean> {
    const candidates = await collectChanges(this.db, this.batchChanges);
    if (candidates.length === 0) return false;
    const changes: Candidate[] = [];
    const skipped: Candidate[] = [];
    let bytes = 0;
    for (const c of candidates) {
      if (c.value.length > BATCH_VALUE_BYTES) {
        skipped.push(c);
        continue;
      }
      if (bytes + c.value.length > BATCH_VALUE_BYTES) break;
      bytes += c.value.length + c.key.length + 16;
      changes.push(c);
    }
    const sequence = this.size;
    const now = Date.now();
    const signed = changes.length === 0 ? undefined : signDeltaBatch(this.key, {
      origin: this.origin, sequence, previousHash: this.lastLeaf, createdAtMs: BigInt(now),
      changes: changes.map((c) => create(DeltaChangeSchema, { kind: c.kind, key: c.key, value: c.value })),
    });
    await this.db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(${DELTA_LOCK_KEY.toString()}::bigint)`.execute(tx);
      const head = await tx.selectFrom("delta_batches").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
      if (BigInt(head.n) !== sequence) throw new OpmError("internal", `delta log has ${head.n} batches in the database, ${sequence} in memory: another writer?`);
      if (signed !== undefined) {
        await tx.insertInto("delta_batches").values({ sequence: Number(sequence), leaf_hash: signed.leafHash, body: signed.bytes, change_count: changes.length, created_at_ms: now }).execute();
      }
      // An oversized value is marked with sequence -1: never sent, never in the state root.
      const items = [
        ...changes.map((c) => ({ kind: c.kind, key: c.key, version: c.version, digest: sha256(c.value), sequence: Number(sequence) })),
        ...skipped.map((c) => ({ kind: c.kind, key: c.key, version: c.version, digest: sha256(c.value), sequence: -1 })),
      ];
      for (let i = 0; i < items.length; i += 2000) {
        await tx.insertInto("delta_items").values(items.slice(i, i + 2000))
          .onConflict((oc) => oc.columns(["kind", "key"]).doUpdateSet((eb) => ({
            version: eb.ref("excluded.version"), digest: eb.ref("excluded.digest"), sequence: eb.ref("excluded.sequence"),
          }))).execute();
      }
    });
    for (const c of skipped) this.log.warn("delta too large to sync, skipped", { kind: c.kind, key: c.key, bytes: c.value.length });
    if (signed !== undefined) {
      await this.tree.appendLeaves([signed.leafHash]);
      this.lastLeaf = signed.leafHash;
    }
    return true;
  }

  /** A checkpoint of the committed log signed now, and the consistency proof from `fromSize`. */
  async checkpoint(fromSize: bigint, nowMs = Date.now()): Promise<{ note: string; proof: Uint8Array[] }> {
    const size = this.size;
    if (fromSize > size) {
      throw new OpmError("failed_precondition", `this delta log has ${size} batches; a consistency proof from ${fromSize} cannot exist (the caller trusts a larger log: rollback or another node's view)`);
    }
    const note = signDeltaCheckpoint(this.signer, size, await rootAt(this.tree, size), nowMs);
    return { note, proof: await consistencyProof(this.tree, fromSize, size) };
  }

  /** The consistency proof from `from` to `to` (both at most the committed size). */
  async proof(from: bigint, to: bigint): Promise<Uint8Array[]> {
    if (to > this.size || from > to) throw new OpmError("invalid_argument", `no consistency proof from ${from} to ${to} in a log of ${this.size} batches`);
    return consistencyProof(this.tree, from, to);
  }
}

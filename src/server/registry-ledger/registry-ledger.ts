import type { Kysely } from "kysely";
import {
  CheckpointSigner,
  consistencyProof,
  decodeSignedEntry,
  Ed25519NoteSigner,
  encodeSignedEntry,
  GovernanceState,
  hashLeaf,
  LedgerError,
  parseCheckpoint,
  parseNote,
  rootAt,
} from "../../ledger/index.js";
import type { Ed25519KeyPair } from "../../kernel/codec/index.js";
import type { SignedLedgerEntry } from "../../gen/openpassmarket/v1/ledger_pb.js";
import type { CallContext } from "../rpc/index.js";
import type { Database } from "../storage/index.js";
import { PgLedgerStore } from "./pg-ledger-store.js";

/** Where an entry landed and the checkpoint signed for it. */
export interface LedgerAppend {
  index: bigint;
  leafHash: Uint8Array;
  checkpoint: string;
  /** The governance state after the entry. */
  state: GovernanceState;
}

/** The checkpoint origin of a registry node's log: derived from its log key, so it is stable. */
export function ledgerOrigin(logKey: Ed25519KeyPair): string {
  return `openpassmarket/registry/${logKey.keyId.slice(0, 16)}`;
}

/**
 * The registry's governance ledger on PostgreSQL. The governance state is cached in
 * memory and caught up from the database on every read (one indexed query for the
 * log head, then only the entries that are new), so a revocation appended by any
 * transaction takes effect for the next call that reads it. Writers hold the ledger
 * advisory lock (`lockLedger`) and append in their own transaction: the entry, its
 * tree nodes and the checkpoint commit or roll back together.
 */
export class RegistryLedger {
  readonly origin: string;
  private readonly signer: Ed25519NoteSigner;
  private cache = new GovernanceState();
  /** The state as last committed, while no append can have changed it (see `committedState`). */
  private committed: GovernanceState | undefined;
  /** Bumped by every append, when it is made and when it is committed. */
  private generation = 0;

  constructor(logKey: Ed25519KeyPair) {
    this.origin = ledgerOrigin(logKey);
    this.signer = new Ed25519NoteSigner(this.origin, logKey);
  }

  /** The log's signed-note verifier key (vkey). */
  get logKey(): string {
    return this.signer.verifierKey();
  }

  /** A store over `db` (a transaction or the database). */
  store(db: Kysely<Database>): PgLedgerStore {
    return new PgLedgerStore(db);
  }

  /**
   * The governance state as `db` sees it now. Re-verifies only entries appended since the
   * last call; rebuilds from the genesis when the cache diverged (a rolled-back read).
   */
  async state(db: Kysely<Database>): Promise<GovernanceState> {
    const head = await db.selectFrom("ledger_entries").select(["entry_index", "leaf_hash"])
      .orderBy("entry_index", "desc").limit(1).executeTakeFirst();
    const size = head === undefined ? 0n : BigInt(head.entry_index) + 1n;
    const cached = this.cache;
    if (size === cached.size && (head === undefined || Buffer.from(head.leaf_hash).equals(Buffer.from(cached.lastLeafHash)))) return cached;
    let next: GovernanceState;
    try {
      next = size > cached.size ? await this.replay(db, cached.clone(), size) : await this.replay(db, new GovernanceState(), size);
    } catch (err) {
      if (!(err instanceof LedgerError) || err.reason !== "bad_chain") throw err;
      next = await this.replay(db, new GovernanceState(), size);
    }
    this.cache = next;
    return next;
  }

  /**
   * The committed governance state, for the hot path of admission checks: no query while
   * nothing was appended since it was last read. A read is kept only once the reading
   * transaction committed with no append made or committed in between: `append`
   * invalidates it when it writes and again once its transaction commits, and this node
   * is the only writer of its ledger tables.
   */
  async committedState(ctx: CallContext): Promise<GovernanceState> {
    if (this.committed !== undefined) return this.committed;
    const generation = this.generation;
    const state = await this.state(ctx.db);
    ctx.afterCommit(() => {
      if (generation === this.generation) this.committed = state;
    });
    return state;
  }

  /** Forgets the committed state: an append was made or committed. */
  private invalidateCommitted(): void {
    this.generation++;
    this.committed = undefined;
  }

  private async replay(db: Kysely<Database>, state: GovernanceState, size: bigint): Promise<GovernanceState> {
    const store = this.store(db);
    for (let from = state.size; from < size; from += 10_000n) {
      const to = from + 10_000n < size ? from + 10_000n : size;
      for (const [i, bytes] of (await store.getEntries(from, to)).entries()) {
        state.apply(decodeSignedEntry(bytes, from + BigInt(i)), hashLeaf(bytes));
      }
    }
    return state;
  }

  /**
   * Appends `signed` as the next entry after validating it against the current state
   * (chain, payload, thresholds), and signs a checkpoint for the new size. Requires the
   * ledger lock to be held by the call's transaction. The cache is not touched: it
   * catches up from the database once the transaction has committed; the committed
   * state (`committedState`) is invalidated now and after the commit.
   */
  async append(ctx: CallContext, signed: SignedLedgerEntry): Promise<LedgerAppend> {
    this.invalidateCommitted();
    ctx.afterCommit(() => this.invalidateCommitted());
    const tx = ctx.db;
    const next = (await this.state(tx)).clone();
    const bytes = encodeSignedEntry(signed);
    const index = next.size;
    const leafHash = next.apply(signed, hashLeaf(bytes));
    if (index === 0n && next.origin !== this.origin) {
      throw new LedgerError("invalid_transition", `entry 0: genesis names log_origin ${JSON.stringify(next.origin)}, this log is ${JSON.stringify(this.origin)}`, { entryIndex: 0n });
    }
    const store = this.store(tx);
    await store.appendEntries([bytes], [leafHash]);
    const checkpoint = await this.signCheckpoint(tx, next.size);
    return { index, leafHash, checkpoint, state: next };
  }

  /**
   * Signs and stores a checkpoint for `size` unless the last one already has it; refuses
   * (inconsistent_checkpoint) when the tree does not extend the last signed one.
   */
  async signCheckpoint(tx: Kysely<Database>, size: bigint): Promise<string> {
    const store = this.store(tx);
    const latest = await store.latestCheckpoint();
    const last = latest === undefined ? undefined : parseCheckpoint(parseNote(latest).text);
    if (latest !== undefined && last!.size === size) return latest;
    const signer = new CheckpointSigner(this.origin, this.signer, last && { size: last.size, rootHash: last.rootHash });
    const from = last?.size ?? 0n;
    const note = signer.sign(size, await rootAt(store.tree, size), await consistencyProof(store.tree, from, size));
    await store.appendCheckpoint(note);
    return note;
  }
}

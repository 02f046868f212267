import type { Kysely } from "kysely";
import { decodeEntry, decodeSignedEntry, LedgerError, parseCheckpoint, parseNote, type LedgerStore } from "../../ledger/index.js";
import type { Database } from "../storage/index.js";
import { inTransaction, toSafeNumber } from "./db-helpers.js";
import { PgTreeStore } from "./pg-tree-store.js";

/**
 * LedgerStore on PostgreSQL: `ledger_entries`, the tree in `ledger_tree_nodes` (through
 * PgTreeStore) and `ledger_checkpoints`. Entries and their tree nodes are written in one
 * transaction (joining `db` when it is one).
 */
export class PgLedgerStore implements LedgerStore {
  readonly tree: PgTreeStore;

  constructor(private readonly db: Kysely<Database>, private readonly now: () => number = Date.now) {
    this.tree = new PgTreeStore(db);
  }

  async appendEntries(entries: readonly Uint8Array[], leafHashes: readonly Uint8Array[]): Promise<void> {
    if (entries.length !== leafHashes.length) throw new LedgerError("bad_argument", `${entries.length} entries but ${leafHashes.length} leaf hashes`);
    if (entries.length === 0) return;
    await inTransaction(this.db, async (tx) => {
      const first = await this.entryCountIn(tx);
      const at = this.now();
      const rows = entries.map((body, i) => {
        const index = first + BigInt(i);
        const signed = decodeSignedEntry(body, index);
        return {
          entry_index: toSafeNumber(index, "entry index"), kind: decodeEntry(signed.entry, index).kind.case ?? "",
          body, signature_count: signed.signatures.length, leaf_hash: leafHashes[i]!, appended_at_ms: at,
        };
      });
      for (let i = 0; i < rows.length; i += 5_000) await tx.insertInto("ledger_entries").values(rows.slice(i, i + 5_000)).execute();
      await new PgTreeStore(tx).appendLeaves(leafHashes);
    });
  }

  async getEntries(from: bigint, to: bigint): Promise<Uint8Array[]> {
    const count = await this.entryCount();
    if (from < 0n || from > to || to > count) throw new LedgerError("bad_argument", `entry range [${from}, ${to}) outside [0, ${count}]`);
    if (from === to) return [];
    const rows = await this.db.selectFrom("ledger_entries").select("body")
      .where("entry_index", ">=", Number(from)).where("entry_index", "<", Number(to)).orderBy("entry_index").execute();
    return rows.map((r) => Uint8Array.from(r.body));
  }

  entryCount(): Promise<bigint> {
    return this.entryCountIn(this.db);
  }

  private async entryCountIn(db: Kysely<Database>): Promise<bigint> {
    const row = await db.selectFrom("ledger_entries").select("entry_index").orderBy("entry_index", "desc").limit(1).executeTakeFirst();
    return row === undefined ? 0n : BigInt(row.entry_index) + 1n;
  }

  async appendCheckpoint(note: string): Promise<void> {
    const size = parseCheckpoint(parseNote(note).text).size;
    await this.db.insertInto("ledger_checkpoints").values({ tree_size: toSafeNumber(size, "checkpoint size"), note, signed_at_ms: this.now() }).execute();
  }

  async checkpoints(): Promise<string[]> {
    const rows = await this.db.selectFrom("ledger_checkpoints").select("note").orderBy("tree_size").execute();
    return rows.map((r) => r.note);
  }

  /** Checkpoints for tree sizes up to `maxSize`, in increasing size, `offset` skipped, at most `limit`. */
  async checkpointsUpTo(maxSize: bigint, offset: number, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom("ledger_checkpoints").select("note").where("tree_size", "<=", toSafeNumber(maxSize, "tree size"))
      .orderBy("tree_size").offset(offset).limit(limit).execute();
    return rows.map((r) => r.note);
  }

  /** How many checkpoints cover tree sizes up to `maxSize`. */
  async checkpointCountUpTo(maxSize: bigint): Promise<number> {
    const row = await this.db.selectFrom("ledger_checkpoints").select((eb) => eb.fn.countAll<number>().as("n"))
      .where("tree_size", "<=", toSafeNumber(maxSize, "tree size")).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The last checkpoint signed, if any (one indexed read). */
  async latestCheckpoint(): Promise<string | undefined> {
    const row = await this.db.selectFrom("ledger_checkpoints").select("note").orderBy("tree_size", "desc").limit(1).executeTakeFirst();
    return row?.note;
  }
}

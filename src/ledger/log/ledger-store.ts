import { badArgument } from "../errors.js";
import { MemoryTreeStore } from "../merkle/memory-tree-store.js";
import type { TreeStore } from "../merkle/tree-store.js";

/**
 * Storage of a ledger: canonical signed-entry bytes, the Merkle tree over them, and
 * every checkpoint the log signed. `appendEntries` must store entries and tree leaves
 * atomically (one transaction in a database-backed store).
 */
export interface LedgerStore {
  readonly tree: TreeStore;
  /** Appends entries (canonical SignedLedgerEntry bytes) with their leaf hashes. */
  appendEntries(entries: readonly Uint8Array[], leafHashes: readonly Uint8Array[]): Promise<void>;
  /** Entries [from, to); requires 0 <= from <= to <= entryCount(). */
  getEntries(from: bigint, to: bigint): Promise<Uint8Array[]>;
  entryCount(): Promise<bigint>;
  appendCheckpoint(note: string): Promise<void>;
  /** Every checkpoint in signing order. */
  checkpoints(): Promise<string[]>;
}

/** In-memory LedgerStore, for tests, the CLI's offline tools and benchmarks. */
export class MemoryLedgerStore implements LedgerStore {
  readonly tree = new MemoryTreeStore();
  private readonly entries: Uint8Array[] = [];
  private readonly notes: string[] = [];

  async appendEntries(entries: readonly Uint8Array[], leafHashes: readonly Uint8Array[]): Promise<void> {
    if (entries.length !== leafHashes.length) throw badArgument(`${entries.length} entries but ${leafHashes.length} leaf hashes`);
    await this.tree.appendLeaves(leafHashes);
    for (const e of entries) this.entries.push(e);
  }

  async getEntries(from: bigint, to: bigint): Promise<Uint8Array[]> {
    if (from < 0n || from > to || to > BigInt(this.entries.length)) {
      throw badArgument(`entry range [${from}, ${to}) outside [0, ${this.entries.length}]`);
    }
    return this.entries.slice(Number(from), Number(to));
  }

  async entryCount(): Promise<bigint> {
    return BigInt(this.entries.length);
  }

  async appendCheckpoint(note: string): Promise<void> {
    this.notes.push(note);
  }

  async checkpoints(): Promise<string[]> {
    return this.notes.slice();
  }
}

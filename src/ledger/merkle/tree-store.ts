import type { NodeId } from "./node-id.js";

/**
 * Storage of a Merkle tree as the hashes of its perfect subtrees. Async so that a
 * PostgreSQL-backed store can implement it; a store never recomputes the tree from
 * all leaves, which keeps proofs at O(log n) reads.
 */
export interface TreeStore {
  /** Number of leaves appended so far. */
  size(): Promise<bigint>;

  /**
   * Hashes of the given stored nodes, in the same order. Requires every node to be
   * complete at the current size (its coverage ends at or before `size()`); throws
   * bad_argument naming the first node that is not.
   */
  getNodes(ids: readonly NodeId[]): Promise<Uint8Array[]>;

  /**
   * Appends leaf hashes (already `hashLeaf`ed) and stores every perfect-subtree node
   * they complete. Atomic: either all leaves are appended or none.
   */
  appendLeaves(leafHashes: readonly Uint8Array[]): Promise<void>;
}

/** A TreeStore that counts node reads; tests use it to check O(log n) proof cost. */
export class CountingTreeStore implements TreeStore {
  reads = 0;
  calls = 0;

  constructor(private readonly inner: TreeStore) {}

  size(): Promise<bigint> {
    return this.inner.size();
  }

  getNodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    this.reads += ids.length;
    this.calls++;
    return this.inner.getNodes(ids);
  }

  appendLeaves(leafHashes: readonly Uint8Array[]): Promise<void> {
    return this.inner.appendLeaves(leafHashes);
  }
}

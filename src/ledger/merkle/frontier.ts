import { hashChildren } from "./hasher.js";
import type { NodeId } from "./node-id.js";

/** A node hash with its id, as a store writes it. */
export interface StoredNode {
  id: NodeId;
  hash: Uint8Array;
}

/** One perfect-subtree root on the right edge of the tree. */
export interface FrontierNode {
  level: number;
  hash: Uint8Array;
}

/**
 * Pure helper for stores: given the tree `size` and its frontier (the hashes of
 * `perfectNodes(0, size)`, largest subtree first), appends `leafHashes` and returns
 * every newly completed node (leaves included) plus the new frontier. A database-backed
 * store reads the O(log n) frontier, calls this, and inserts `nodes` in one transaction.
 * Requires `frontier` to match `size` (one node per set bit, decreasing levels).
 */
export function appendToFrontier(
  size: bigint,
  frontier: readonly FrontierNode[],
  leafHashes: readonly Uint8Array[],
): { nodes: StoredNode[]; frontier: FrontierNode[] } {
  const nodes: StoredNode[] = [];
  const next = fold(frontier, leafHashes, (level, hash, leaf) => {
    // A node at `level` completed by leaf `size + leaf` has index `(size + leaf) >> level`.
    nodes.push({ id: { level, index: (size + BigInt(leaf)) >> BigInt(level) }, hash });
  });
  return { nodes, frontier: next };
}

/**
 * The frontier after appending `leafHashes`, without recording the nodes: what a reader
 * that only needs the root (a replay, a puller) uses — 10^5 leaves make 2·10^5 node
 * records otherwise. Same requirements as `appendToFrontier`.
 */
export function extendFrontier(frontier: readonly FrontierNode[], leafHashes: readonly Uint8Array[]): FrontierNode[] {
  return fold(frontier, leafHashes, () => undefined);
}

/** The binary-carry merge both share; `completed` sees each new node and which of `leafHashes` completed it. */
function fold(
  frontier: readonly FrontierNode[],
  leafHashes: readonly Uint8Array[],
  completed: (level: number, hash: Uint8Array, leaf: number) => void,
): FrontierNode[] {
  const stack = frontier.slice();
  for (const [i, leaf] of leafHashes.entries()) {
    let cur: FrontierNode = { level: 0, hash: leaf };
    completed(0, leaf, i);
    // Each completed pair on the right edge merges into its parent, like a binary carry.
    for (let top = stack.at(-1); top !== undefined && top.level === cur.level; top = stack.at(-1)) {
      stack.pop();
      cur = { level: cur.level + 1, hash: hashChildren(top.hash, cur.hash) };
      completed(cur.level, cur.hash, i);
    }
    stack.push(cur);
  }
  return stack;
}

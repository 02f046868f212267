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
  const stack = frontier.slice();
  const nodes: StoredNode[] = [];
  let index = size;
  for (const leaf of leafHashes) {
    let cur: FrontierNode = { level: 0, hash: leaf };
    let curIndex = index;
    nodes.push({ id: { level: 0, index: curIndex }, hash: leaf });
    // Each completed pair on the right edge merges into its parent, like a binary carry.
    for (let top = stack.at(-1); top !== undefined && top.level === cur.level; top = stack.at(-1)) {
      stack.pop();
      curIndex >>= 1n;
      cur = { level: cur.level + 1, hash: hashChildren(top.hash, cur.hash) };
      nodes.push({ id: { level: cur.level, index: curIndex }, hash: cur.hash });
    }
    stack.push(cur);
    index++;
  }
  return { nodes, frontier: stack };
}

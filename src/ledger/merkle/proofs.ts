import { badArgument } from "../errors.js";
import { EMPTY_ROOT, hashChildren } from "./hasher.js";
import { perfectNodes, type NodeId } from "./node-id.js";
import { consistencyPlan, inclusionPlan, planNodeIds, type ProofPlan } from "./proof-plan.js";
import { checkUint64 } from "./tree-size.js";
import type { TreeStore } from "./tree-store.js";

/** Folds hashes right to left: [a, b, c] → H(a, H(b, c)). Requires a non-empty list. */
export function foldRight(hashes: readonly Uint8Array[]): Uint8Array {
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = hashChildren(hashes[i]!, acc);
  return acc;
}

async function checkSize(store: TreeStore, size: bigint, name: string): Promise<void> {
  checkUint64(size, name);
  const stored = await store.size();
  if (size > stored) throw badArgument(`${name} ${size} > tree size ${stored}`, name);
}

async function materialize(store: TreeStore, plan: ProofPlan): Promise<Uint8Array[]> {
  const hashes = await store.getNodes(planNodeIds(plan));
  const out: Uint8Array[] = [];
  let at = 0;
  for (const item of plan.items) {
    out.push(foldRight(hashes.slice(at, at + item.length)));
    at += item.length;
  }
  return out;
}

/**
 * RFC 6962 / 9162 root hash of the first `size` leaves. Requires 0 <= size <= store
 * size. Reads at most log2(size) + 1 stored nodes (one batched getNodes).
 */
export async function rootAt(store: TreeStore, size: bigint): Promise<Uint8Array> {
  await checkSize(store, size, "size");
  if (size === 0n) return EMPTY_ROOT;
  const ids: NodeId[] = perfectNodes(0n, size);
  return foldRight(await store.getNodes(ids));
}

/**
 * Inclusion proof (audit path) of leaf `index` in the tree of `size` leaves, leaf side
 * first. Requires 0 <= index < size <= store size. Reads O(log size) stored nodes in
 * one getNodes call.
 */
export async function inclusionProof(store: TreeStore, index: bigint, size: bigint): Promise<Uint8Array[]> {
  checkUint64(index, "index");
  await checkSize(store, size, "size");
  if (index >= size) throw badArgument(`index ${index} >= size ${size}`, "index");
  return materialize(store, inclusionPlan(index, size));
}

/**
 * Consistency proof between the trees of `size1` and `size2` leaves. Requires
 * 0 <= size1 <= size2 <= store size; the proof is empty when size1 is 0 or equals
 * size2. Reads O(log size2) stored nodes in one getNodes call.
 */
export async function consistencyProof(store: TreeStore, size1: bigint, size2: bigint): Promise<Uint8Array[]> {
  checkUint64(size1, "size1");
  await checkSize(store, size2, "size2");
  if (size1 > size2) throw badArgument(`size1 ${size1} > size2 ${size2}`, "size1");
  return materialize(store, consistencyPlan(size1, size2));
}

import { largestPowerOfTwoBelow } from "./tree-size.js";
import { perfectNodes, type NodeId } from "./node-id.js";

/**
 * Which stored nodes make up a proof. Each element of `items` is one proof hash: the
 * right-to-left fold (with hashChildren) of the listed perfect-subtree nodes. At most
 * one item has more than one node (the "ephemeral" right-edge subtree), so a proof
 * reads at most 2·log2(size) + 1 stored nodes.
 */
export interface ProofPlan {
  items: NodeId[][];
}

/**
 * Nodes of the RFC 6962 §2.1.1 audit path PATH(index, D[0:size]), leaf side first.
 * Requires 0 <= index < size (checked by the caller).
 */
export function inclusionPlan(index: bigint, size: bigint): ProofPlan {
  const topDown: NodeId[][] = [];
  let lo = 0n;
  let hi = size;
  while (hi - lo > 1n) {
    const k = largestPowerOfTwoBelow(hi - lo);
    if (index < lo + k) {
      topDown.push(perfectNodes(lo + k, hi));
      hi = lo + k;
    } else {
      topDown.push(perfectNodes(lo, lo + k));
      lo += k;
    }
  }
  return { items: topDown.reverse() };
}

/**
 * Nodes of the RFC 6962 §2.1.2 consistency proof PROOF(size1, D[0:size2]), in proof
 * order. Requires 0 <= size1 <= size2 (checked by the caller); empty when
 * size1 is 0 or equals size2.
 */
export function consistencyPlan(size1: bigint, size2: bigint): ProofPlan {
  if (size1 === 0n || size1 === size2) return { items: [] };
  const topDown: NodeId[][] = [];
  let lo = 0n;
  let hi = size2;
  // `known` is the RFC's flag b: true while [lo, hi) is still a left part whose root
  // the verifier already knows from the old checkpoint.
  let known = true;
  while (size1 !== hi) {
    const k = largestPowerOfTwoBelow(hi - lo);
    if (size1 - lo <= k) {
      topDown.push(perfectNodes(lo + k, hi));
      hi = lo + k;
    } else {
      topDown.push(perfectNodes(lo, lo + k));
      lo += k;
      known = false;
    }
  }
  if (!known) topDown.push(perfectNodes(lo, hi));
  return { items: topDown.reverse() };
}

/** All node ids of a plan, flattened in item order (one batched store read). */
export function planNodeIds(plan: ProofPlan): NodeId[] {
  return plan.items.flat();
}

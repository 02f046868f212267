import { sha256 } from "../../kernel/codec/index.js";
import type { DeltaBatch } from "../../gen/openpassmarket/v1/sync_pb.js";
import { compareBytes } from "../bytes.js";
import { extendFrontier } from "../merkle/frontier.js";
import { hashLeaf } from "../merkle/hasher.js";
import { rootOfFrontier } from "./delta-trust.js";

/** One (kind, key, value digest) triple of a state: what the state root commits to. */
export interface StateLeaf {
  kind: string;
  key: string;
  /** SHA-256 of the value's canonical bytes (32 bytes). */
  digest: Uint8Array;
}

/** The leaf preimage of a triple: `kind ‖ 0x00 ‖ key ‖ 0x00 ‖ digest`. */
export function stateLeafBytes(leaf: StateLeaf): Uint8Array {
  // Written in place (UTF-8): a root encodes one preimage per key, 10^5 and more.
  const kindLength = Buffer.byteLength(leaf.kind);
  const keyLength = Buffer.byteLength(leaf.key);
  const out = Buffer.alloc(kindLength + keyLength + 2 + leaf.digest.length);
  out.write(leaf.kind, 0);
  out.write(leaf.key, kindLength + 1);
  out.set(leaf.digest, kindLength + keyLength + 2);
  return out;
}

/**
 * THE state root: the RFC 6962 Merkle root (ledger hashing) over the distinct leaf
 * preimages of `leaves`, sorted bytewise. A set, so order and duplicates do not matter:
 * two nodes holding the same triples have the same root whatever order they learned them.
 */
export function stateRoot(leaves: Iterable<StateLeaf>): Uint8Array {
  const preimages = [...leaves].map(stateLeafBytes).sort(compareBytes);
  const distinct = preimages.filter((p, i) => i === 0 || compareBytes(preimages[i - 1]!, p) !== 0);
  return rootOfFrontier(extendFrontier([], distinct.map(hashLeaf)));
}

/** One key's current value in a replayed state. */
export interface StateValue {
  kind: string;
  key: string;
  value: Uint8Array;
  digest: Uint8Array;
  /** The batch that last set it. */
  sequence: bigint;
}

/**
 * A node's state folded from its delta log: the latest value of every (kind, key). The
 * node computes its own root over the same triples (`delta_items`), so a replay of its
 * export and the node itself agree bit for bit.
 */
export class DeltaState {
  readonly values = new Map<string, StateValue>();
  batches = 0;
  changes = 0;

  /** Applies one verified batch, in order. */
  apply(batch: DeltaBatch): void {
    for (const c of batch.changes) {
      this.values.set(`${c.kind}\u0000${c.key}`, { kind: c.kind, key: c.key, value: c.value, digest: sha256(c.value), sequence: batch.sequence });
    }
    this.batches++;
    this.changes += batch.changes.length;
  }

  /** The values of one kind, in key order. */
  ofKind(kind: string): StateValue[] {
    return [...this.values.values()].filter((v) => v.kind === kind).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Number of keys per kind. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const v of this.values.values()) out[v.kind] = (out[v.kind] ?? 0) + 1;
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  root(): Uint8Array {
    return stateRoot(this.values.values());
  }
}

import { publicKeyFromRaw } from "../../kernel/codec/index.js";
import { equalBytes, toHex } from "../bytes.js";
import { parseVerifierKey } from "../checkpoint/note-key.js";
import { parseCheckpoint } from "../checkpoint/checkpoint.js";
import { parseNote } from "../checkpoint/note.js";
import { extendFrontier, type FrontierNode } from "../merkle/frontier.js";
import { EMPTY_ROOT, hashChildren } from "../merkle/hasher.js";
import { verifyConsistency } from "../merkle/verify-consistency.js";
import { keyIdOf } from "../../kernel/codec/index.js";
import { openDeltaBatch, ZERO_HASH, type OpenedBatch } from "./delta-batch.js";
import { openDeltaCheckpoint, type DeltaCheckpoint } from "./delta-checkpoint.js";
import { DeltaError } from "./delta-error.js";

/**
 * What a reader of one node's delta log trusts and has applied: the pinned log key, the
 * last checkpoint it verified, and the compact range (frontier) of the batches applied
 * so far — O(log n) hashes, enough to recompute the root and extend it. Persist it with
 * the applied changes, in the same transaction.
 */
export interface DeltaTrust {
  /** The node's signed-note verifier key (`<origin>+<id>+<key>`), pinned at admission. */
  logKey: string;
  /** The last checkpoint note verified (covers at least `appliedSize` batches). */
  trustedNote?: string;
  appliedSize: bigint;
  frontier: FrontierNode[];
  /** Leaf hash of the last applied batch; ZERO_HASH before the first. */
  lastLeafHash: Uint8Array;
}

/** A fresh trust state for the log of `logKey`: nothing applied. */
export function newDeltaTrust(logKey: string): DeltaTrust {
  parseVerifierKey(logKey);
  return { logKey, appliedSize: 0n, frontier: [], lastLeafHash: ZERO_HASH };
}

/** RFC 6962 root of the tree whose perfect-subtree frontier is `frontier` (largest first). */
export function rootOfFrontier(frontier: readonly FrontierNode[]): Uint8Array {
  if (frontier.length === 0) return EMPTY_ROOT;
  let root = frontier[frontier.length - 1]!.hash;
  for (let i = frontier.length - 2; i >= 0; i--) root = hashChildren(frontier[i]!.hash, root);
  return root;
}

/** How fresh a checkpoint must be. */
export interface FreshnessPolicy {
  nowMs: number;
  /** Oldest acceptable checkpoint age (ms); Infinity for offline replay. */
  maxAgeMs: number;
  /** Accepted clock skew into the future (ms). */
  maxSkewMs?: number;
}

/**
 * Verifies a checkpoint offered by the node against what `trust` holds: signed by the
 * pinned key (unknown_key, bad_signature), recent enough (frozen: older than
 * `maxAgeMs`, or dated in the future beyond the skew), not smaller than the trusted one
 * (rollback), and proven consistent with it by `proof` (split_view). Pure.
 */
export function acceptDeltaCheckpoint(trust: DeltaTrust, note: string, proof: readonly Uint8Array[], fresh: FreshnessPolicy): DeltaCheckpoint {
  const cp = openDeltaCheckpoint(note, trust.logKey);
  const age = fresh.nowMs - cp.timeMs;
  if (age > fresh.maxAgeMs) {
    throw new DeltaError("frozen", `checkpoint at size ${cp.checkpoint.size} was signed ${age} ms ago, more than the bound of ${fresh.maxAgeMs} ms: the node serves a frozen view`);
  }
  if (-age > (fresh.maxSkewMs ?? 5 * 60_000)) {
    throw new DeltaError("frozen", `checkpoint is dated ${-age} ms in the future`);
  }
  const size = cp.checkpoint.size;
  if (size < trust.appliedSize) {
    throw new DeltaError("rollback", `rollback: checkpoint size ${size} < ${trust.appliedSize} batches already applied`);
  }
  if (trust.trustedNote !== undefined) {
    const prev = parseCheckpoint(parseNote(trust.trustedNote).text);
    if (size < prev.size) throw new DeltaError("rollback", `rollback: checkpoint size ${size} < trusted size ${prev.size}`);
    if (size === prev.size && !equalBytes(prev.rootHash, cp.checkpoint.rootHash)) {
      throw new DeltaError("split_view", `split view: size ${size} has root ${toHex(cp.checkpoint.rootHash)} but the trusted root is ${toHex(prev.rootHash)}`);
    }
    try {
      verifyConsistency(prev.size, size, prev.rootHash, cp.checkpoint.rootHash, proof);
    } catch (err) {
      throw new DeltaError("split_view", `split view: checkpoint size ${size} is not proven consistent with trusted size ${prev.size}: ${(err as Error).message}`, { cause: err });
    }
  }
  return cp;
}

/**
 * Verifies a page of batches that continues the applied log toward the accepted
 * checkpoint `cp`: each batch's size, encoding, origin (mix_and_match), key and signature,
 * sequence (gap: a missing, repeated or reordered batch) and hash chain (bad_chain); then
 * that the applied prefix extended by the page is consistent with `cp` via `proof`
 * (root_mismatch when the page ends at `cp`'s size and the roots differ, split_view
 * otherwise). Returns the opened batches and the trust state to persist with them. Pure.
 * `onOpened` sees each batch once its own signature, sequence and chain hold, before the
 * page's root is checked: a reader may start work on it early (a replay starts the
 * signals' checks), but nothing of it is trusted until this returns.
 */
export function acceptDeltaBatches(
  trust: DeltaTrust,
  cp: DeltaCheckpoint,
  batches: readonly Uint8Array[],
  proof: readonly Uint8Array[],
  onOpened?: (batch: OpenedBatch) => void,
): { opened: OpenedBatch[]; trust: DeltaTrust } {
  const vkey = parseVerifierKey(trust.logKey);
  const nodeKey = { publicKey: publicKeyFromRaw(vkey.publicKey, "log_key"), keyId: keyIdOf(vkey.publicKey) };
  const end = trust.appliedSize + BigInt(batches.length);
  if (end > cp.checkpoint.size) {
    throw new DeltaError("gap", `${batches.length} batches from ${trust.appliedSize} run past the checkpoint size ${cp.checkpoint.size}`, { sequence: cp.checkpoint.size });
  }
  const opened: OpenedBatch[] = [];
  let previous = trust.lastLeafHash;
  for (const [i, bytes] of batches.entries()) {
    const expected = trust.appliedSize + BigInt(i);
    const batch = openDeltaBatch(bytes, nodeKey, expected, vkey.name);
    if (batch.batch.sequence !== expected) {
      throw new DeltaError("gap", `batch at position ${expected} has sequence ${batch.batch.sequence}: a batch is missing, repeated or out of order`, { sequence: expected });
    }
    if (!equalBytes(batch.batch.previousHash, previous)) {
      throw new DeltaError("bad_chain", `batch ${expected}: previous_hash ${toHex(batch.batch.previousHash)} is not the hash ${toHex(previous)} of batch ${expected - 1n}`, { sequence: expected });
    }
    previous = batch.leafHash;
    opened.push(batch);
    onOpened?.(batch);
  }
  const frontier = extendFrontier(trust.frontier, opened.map((b) => b.leafHash));
  const root = rootOfFrontier(frontier);
  if (end === cp.checkpoint.size) {
    if (!equalBytes(root, cp.checkpoint.rootHash)) {
      throw new DeltaError("root_mismatch", `the ${end} batches have root ${toHex(root)} but the checkpoint says ${toHex(cp.checkpoint.rootHash)}`, { sequence: end - 1n });
    }
  } else {
    try {
      verifyConsistency(end, cp.checkpoint.size, root, cp.checkpoint.rootHash, proof);
    } catch (err) {
      throw new DeltaError("split_view", `batches up to ${end} are not a prefix of the checkpointed log of size ${cp.checkpoint.size}: ${(err as Error).message}`, { sequence: end - 1n, cause: err });
    }
  }
  return { opened, trust: { logKey: trust.logKey, trustedNote: cp.note, appliedSize: end, frontier, lastLeafHash: previous } };
}

import { create, fromBinary } from "@bufbuild/protobuf";
import type { KeyObject } from "node:crypto";
import { canonicalBytes, isCanonicalEncoding, pae, signBytes, verifyBytes, type Ed25519KeyPair } from "../../kernel/codec/index.js";
import {
  DeltaBatchSchema,
  SignedDeltaBatchSchema,
  type DeltaBatch,
  type DeltaChange,
} from "../../gen/openpassmarket/v1/sync_pb.js";
import { hashLeaf } from "../merkle/hasher.js";
import { DeltaError } from "./delta-error.js";

/** The DSSE payload type a batch signature covers. */
export const DELTA_BATCH_TYPE = "openpassmarket.v1.DeltaBatch";
/** Largest SignedDeltaBatch a node writes or accepts (bytes). */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;
/** Most changes in one batch a node writes or accepts. */
export const MAX_BATCH_CHANGES = 4096;
/** `previous_hash` of the first batch. */
export const ZERO_HASH = new Uint8Array(32);

/** A batch opened and checked: its content, signed bytes and Merkle leaf hash. */
export interface OpenedBatch {
  batch: DeltaBatch;
  bytes: Uint8Array;
  leafHash: Uint8Array;
}

/**
 * Builds and signs the batch `sequence` of `origin` after `previousHash`; returns the
 * SignedDeltaBatch canonical bytes and leaf hash. Requires at most MAX_BATCH_CHANGES changes.
 */
export function signDeltaBatch(
  key: Ed25519KeyPair,
  fields: { origin: string; sequence: bigint; previousHash: Uint8Array; createdAtMs: bigint; changes: DeltaChange[] },
): OpenedBatch {
  const batch = create(DeltaBatchSchema, fields);
  const batchBytes = canonicalBytes(DeltaBatchSchema, batch);
  const signature = signBytes(key.privateKey, pae(DELTA_BATCH_TYPE, batchBytes));
  const bytes = canonicalBytes(SignedDeltaBatchSchema, create(SignedDeltaBatchSchema, { batch: batchBytes, signature, keyId: key.keyId }));
  return { batch, bytes, leafHash: hashLeaf(bytes) };
}

/**
 * Opens one SignedDeltaBatch received from anyone: size limits first (before parsing
 * attacker-controlled bytes), strict canonical encoding, the signature by `nodeKey`, then
 * the number of changes. `nodeKey` and `origin`: the pinned key and origin of the node whose log this is. Throws DeltaError naming the `expectedSequence` at fault.
 */
export function openDeltaBatch(bytes: Uint8Array, nodeKey: { publicKey: KeyObject; keyId: string }, expectedSequence: bigint, origin: string): OpenedBatch {
  const at = { sequence: expectedSequence };
  if (bytes.length > MAX_BATCH_BYTES) {
    throw new DeltaError("oversized_batch", `batch ${expectedSequence}: ${bytes.length} bytes > limit ${MAX_BATCH_BYTES}`, at);
  }
  let batch: DeltaBatch;
  try {
    const signed = fromBinary(SignedDeltaBatchSchema, bytes, { readUnknownFields: false });
    const batchBytes = signed.batch;
    if (!isCanonicalEncoding(SignedDeltaBatchSchema, signed, bytes)) throw new Error("signed batch is not canonically encoded");
    // Decoded once, before the signature is checked: the origin names the refusal (a batch of
    // another log is refused whether or not its signature is good), and nothing decoded is
    // used unless the signature and the canonical encoding hold.
    batch = fromBinary(DeltaBatchSchema, batchBytes, { readUnknownFields: false });
    if (batch.origin !== origin) {
      throw new DeltaError("mix_and_match", `batch ${expectedSequence} belongs to log ${JSON.stringify(batch.origin)}, not ${JSON.stringify(origin)} (mix-and-match)`, at);
    }
    if (signed.keyId !== nodeKey.keyId) {
      throw new DeltaError("unknown_key", `batch ${expectedSequence}: signed by key ${JSON.stringify(signed.keyId.slice(0, 16))}…, not the peer's key ${nodeKey.keyId.slice(0, 16)}…`, at);
    }
    if (!verifyBytes(nodeKey.publicKey, pae(DELTA_BATCH_TYPE, batchBytes), signed.signature)) {
      throw new DeltaError("bad_signature", `batch ${expectedSequence}: signature does not verify under the node's key`, at);
    }
    if (!isCanonicalEncoding(DeltaBatchSchema, batch, batchBytes)) throw new Error("batch is not canonically encoded");
  } catch (err) {
    if (err instanceof DeltaError) throw err;
    throw new DeltaError("malformed_batch", `batch ${expectedSequence}: ${(err as Error).message}`, { ...at, cause: err });
  }
  if (batch.changes.length > MAX_BATCH_CHANGES) {
    throw new DeltaError("oversized_batch", `batch ${expectedSequence}: ${batch.changes.length} changes > limit ${MAX_BATCH_CHANGES}`, at);
  }
  return { batch, bytes, leafHash: hashLeaf(bytes) };
}

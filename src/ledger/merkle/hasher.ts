import { createHash } from "node:crypto";

/** Size in bytes of every node hash (SHA-256). */
export const HASH_SIZE = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

// Plain Uint8Array views, not Buffers: Buffer#slice aliases memory, Uint8Array#slice copies.
function plain(digest: Buffer): Uint8Array {
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** RFC 6962 §2.1 leaf hash: SHA-256(0x00 ‖ entry). Accepts any byte string. */
export function hashLeaf(entry: Uint8Array): Uint8Array {
  return plain(createHash("sha256").update(LEAF_PREFIX).update(entry).digest());
}

/**
 * RFC 6962 §2.1 interior node hash: SHA-256(0x01 ‖ left ‖ right). Requires both
 * inputs to be node hashes; the length is not checked on this hot path.
 */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return plain(createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest());
}

/** Root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1). */
export const EMPTY_ROOT: Uint8Array = plain(createHash("sha256").digest());

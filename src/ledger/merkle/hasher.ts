import { createHash, hash } from "node:crypto";

/** Size in bytes of every node hash (SHA-256). */
export const HASH_SIZE = 32;

// Plain Uint8Array views, not Buffers: Buffer#slice aliases memory, Uint8Array#slice copies.
function plain(digest: Buffer): Uint8Array {
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

// One-shot hashes of a prefixed copy: a Hash object per node cost more than the hashing
// itself when a replay builds a tree of 10^5 leaves.
const children = Buffer.alloc(1 + 2 * HASH_SIZE, 0x01);
const NODE_PREFIX = new Uint8Array([0x01]);

/** RFC 6962 §2.1 leaf hash: SHA-256(0x00 ‖ entry). Accepts any byte string. */
export function hashLeaf(entry: Uint8Array): Uint8Array {
  const preimage = Buffer.allocUnsafe(entry.length + 1);
  preimage[0] = 0x00;
  preimage.set(entry, 1);
  return plain(hash("sha256", preimage, "buffer"));
}

/**
 * RFC 6962 §2.1 interior node hash: SHA-256(0x01 ‖ left ‖ right). Node hashes are 32
 * bytes; anything else (a malformed proof element) is hashed as given, never padded.
 */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    return plain(createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest());
  }
  children.set(left, 1);
  children.set(right, 1 + HASH_SIZE);
  return plain(hash("sha256", children, "buffer"));
}

/** Root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1). */
export const EMPTY_ROOT: Uint8Array = plain(createHash("sha256").digest());

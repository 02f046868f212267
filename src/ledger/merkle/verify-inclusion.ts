import { equalBytes } from "../bytes.js";
import { LedgerError, RootMismatchError } from "../errors.js";
import { HASH_SIZE, hashChildren } from "./hasher.js";
import { checkUint64 } from "./tree-size.js";

function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_SIZE) throw new LedgerError("bad_proof", `${what} has ${hash.length} bytes, want ${HASH_SIZE}`);
}

/**
 * The root implied by an inclusion proof (RFC 9162 §2.1.3.2). Requires
 * 0 <= index < size and every hash 32 bytes; throws bad_proof when the proof has the
 * wrong length for (index, size). Does not compare against any root.
 */
export function rootFromInclusionProof(index: bigint, size: bigint, leafHash: Uint8Array, proof: readonly Uint8Array[]): Uint8Array {
  checkUint64(index, "index");
  checkUint64(size, "size");
  if (index >= size) throw new LedgerError("bad_proof", `index ${index} >= size ${size}`);
  checkHash(leafHash, "leaf hash");
  let fn = index;
  let sn = size - 1n;
  let r = leafHash;
  for (const [i, p] of proof.entries()) {
    checkHash(p, `proof[${i}]`);
    if (sn === 0n) throw new LedgerError("bad_proof", `inclusion proof too long: ${proof.length} hashes for index ${index} in size ${size}`);
    if ((fn & 1n) === 1n || fn === sn) {
      r = hashChildren(p, r);
      // Skip the levels where this node is the right edge's only child.
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = hashChildren(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new LedgerError("bad_proof", `inclusion proof too short: ${proof.length} hashes for index ${index} in size ${size}`);
  return r;
}

/**
 * Verifies that `leafHash` is leaf `index` of the tree of `size` leaves with root
 * `root` (RFC 9162 §2.1.3.2). Requires 0 <= index < size. Throws bad_proof for a
 * malformed proof and RootMismatchError{expected, calculated} for a wrong root.
 */
export function verifyInclusion(index: bigint, size: bigint, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  const calculated = rootFromInclusionProof(index, size, leafHash, proof);
  if (!equalBytes(calculated, root)) throw new RootMismatchError(root, calculated, "inclusion root");
}

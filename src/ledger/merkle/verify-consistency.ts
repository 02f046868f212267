import { equalBytes } from "../bytes.js";
import { LedgerError, RootMismatchError } from "../errors.js";
import { HASH_SIZE, hashChildren } from "./hasher.js";
import { checkUint64 } from "./tree-size.js";

/**
 * Verifies that the tree of `size2` leaves with root `root2` extends the tree of
 * `size1` leaves with root `root1` (RFC 9162 §2.1.4.2). Requires 0 <= size1 <= size2.
 * An empty proof is required (and sufficient) when size1 is 0; when size1 == size2 the
 * proof must be empty and the roots equal. Throws bad_proof for a malformed proof and
 * RootMismatchError for a root that does not match.
 */
export function verifyConsistency(size1: bigint, size2: bigint, root1: Uint8Array, root2: Uint8Array, proof: readonly Uint8Array[]): void {
  checkUint64(size1, "size1");
  checkUint64(size2, "size2");
  for (const [i, p] of proof.entries()) {
    if (p.length !== HASH_SIZE) throw new LedgerError("bad_proof", `proof[${i}] has ${p.length} bytes, want ${HASH_SIZE}`);
  }
  if (size2 < size1) throw new LedgerError("bad_proof", `size2 ${size2} < size1 ${size1}`);
  if (size1 === size2) {
    if (proof.length > 0) throw new LedgerError("bad_proof", `consistency proof between equal sizes ${size1} must be empty, got ${proof.length} hashes`);
    if (!equalBytes(root1, root2)) throw new RootMismatchError(root1, root2, `root at equal size ${size1}`);
    return;
  }
  if (size1 === 0n) {
    if (proof.length > 0) throw new LedgerError("bad_proof", `consistency proof from size 0 must be empty, got ${proof.length} hashes`);
    return;
  }
  if (proof.length === 0) throw new LedgerError("bad_proof", `empty consistency proof from size ${size1} to ${size2}`);

  // A power-of-two size1 is itself a node of the new tree: its root seeds the path.
  const path = (size1 & (size1 - 1n)) === 0n ? [root1, ...proof] : proof;
  let fn = size1 - 1n;
  let sn = size2 - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0n) throw new LedgerError("bad_proof", `consistency proof too long: ${proof.length} hashes for sizes ${size1} → ${size2}`);
    if ((fn & 1n) === 1n || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new LedgerError("bad_proof", `consistency proof too short: ${proof.length} hashes for sizes ${size1} → ${size2}`);
  if (!equalBytes(fr, root1)) throw new RootMismatchError(root1, fr, `old root (size ${size1})`);
  if (!equalBytes(sr, root2)) throw new RootMismatchError(root2, sr, `new root (size ${size2})`);
}

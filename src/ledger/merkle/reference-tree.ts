import { EMPTY_ROOT, hashChildren, hashLeaf } from "./hasher.js";

/**
 * Naive RFC 6962 tree over in-memory leaf hashes, written straight from the recursive
 * definitions of §2.1. Recomputes everything from the leaves: for tests only.
 */
export class ReferenceTree {
  readonly leaves: Uint8Array[] = [];
  // Appends never change the root of an existing range, so memoizing is sound.
  private readonly memo = new Map<string, Uint8Array>();

  /** Appends an entry (hashed as a leaf). */
  append(entry: Uint8Array): void {
    this.leaves.push(hashLeaf(entry));
  }

  /** MTH(D[lo:hi]); requires 0 <= lo <= hi <= leaves. */
  root(lo = 0, hi = this.leaves.length): Uint8Array {
    const n = hi - lo;
    if (n === 0) return EMPTY_ROOT;
    if (n === 1) return this.leaves[lo]!;
    const key = `${lo}:${hi}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const k = largestPow2Below(n);
    const root = hashChildren(this.root(lo, lo + k), this.root(lo + k, hi));
    this.memo.set(key, root);
    return root;
  }

  /** PATH(m, D[0:size]); requires 0 <= m < size. */
  inclusion(m: number, size: number, lo = 0): Uint8Array[] {
    if (size <= 1) return [];
    const k = largestPow2Below(size);
    return m < k
      ? [...this.inclusion(m, k, lo), this.root(lo + k, lo + size)]
      : [...this.inclusion(m - k, size - k, lo + k), this.root(lo, lo + k)];
  }

  /** PROOF(m, D[0:n]); requires 0 < m <= n. */
  consistency(m: number, n: number): Uint8Array[] {
    return m === n ? [] : this.subproof(m, 0, n, true);
  }

  private subproof(m: number, lo: number, n: number, known: boolean): Uint8Array[] {
    if (m === n) return known ? [] : [this.root(lo, lo + n)];
    const k = largestPow2Below(n);
    return m <= k
      ? [...this.subproof(m, lo, k, known), this.root(lo + k, lo + n)]
      : [...this.subproof(m - k, lo + k, n - k, false), this.root(lo, lo + k)];
  }
}

function largestPow2Below(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

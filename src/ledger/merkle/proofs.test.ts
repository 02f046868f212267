import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { equalBytes } from "../bytes.js";
import { LedgerError, RootMismatchError } from "../errors.js";
import { appendToFrontier, type FrontierNode } from "./frontier.js";
import { hashLeaf } from "./hasher.js";
import { MemoryTreeStore } from "./memory-tree-store.js";
import { consistencyProof, inclusionProof, rootAt } from "./proofs.js";
import { ReferenceTree } from "./reference-tree.js";
import { CountingTreeStore } from "./tree-store.js";
import { verifyConsistency } from "./verify-consistency.js";
import { rootFromInclusionProof, verifyInclusion } from "./verify-inclusion.js";

const entry = (i: number) => new TextEncoder().encode(`entry-${i}`);

async function build(n: number): Promise<{ store: MemoryTreeStore; ref: ReferenceTree }> {
  const store = new MemoryTreeStore();
  const ref = new ReferenceTree();
  for (let i = 0; i < n; i++) ref.append(entry(i));
  // Append in uneven batches so batch boundaries land everywhere.
  for (let i = 0; i < n; ) {
    const batch = ref.leaves.slice(i, i + 1 + (i % 5));
    await store.appendLeaves(batch);
    i += batch.length;
  }
  return { store, ref };
}

const eq = (a: Uint8Array[], b: Uint8Array[]) => a.length === b.length && a.every((x, i) => equalBytes(x, b[i]!));

describe("fast tree against the naive reference", () => {
  it("agrees on every root, inclusion and consistency proof for all sizes up to 130", async () => {
    const { store, ref } = await build(130);
    for (let size = 0; size <= 130; size++) {
      const root = await rootAt(store, BigInt(size));
      expect(equalBytes(root, ref.root(0, size)), `root at ${size}`).toBe(true);
      for (let m = 0; m < size; m++) {
        const proof = await inclusionProof(store, BigInt(m), BigInt(size));
        expect(eq(proof, ref.inclusion(m, size)), `inclusion ${m}/${size}`).toBe(true);
        verifyInclusion(BigInt(m), BigInt(size), ref.leaves[m]!, proof, root);
      }
      for (let m = 1; m <= size; m++) {
        const proof = await consistencyProof(store, BigInt(m), BigInt(size));
        expect(eq(proof, ref.consistency(m, size)), `consistency ${m}→${size}`).toBe(true);
        verifyConsistency(BigInt(m), BigInt(size), ref.root(0, m), root, proof);
      }
    }
  });

  it("agrees at random larger sizes and rejects a random bit flip in every proof", async () => {
    const { store, ref } = await build(3000);
    for (let trial = 0; trial < 60; trial++) {
      const size = 1 + Math.floor(Math.random() * 3000);
      const m = Math.floor(Math.random() * size);
      const root = ref.root(0, size);
      const proof = await inclusionProof(store, BigInt(m), BigInt(size));
      expect(eq(proof, ref.inclusion(m, size))).toBe(true);
      const cproof = await consistencyProof(store, BigInt(m + 1), BigInt(size));
      expect(eq(cproof, ref.consistency(m + 1, size))).toBe(true);
      if (proof.length > 0) {
        const bad = proof.map((p) => p.slice());
        const at = Math.floor(Math.random() * bad.length);
        bad[at]![Math.floor(Math.random() * 32)]! ^= 1 << Math.floor(Math.random() * 8);
        expect(() => verifyInclusion(BigInt(m), BigInt(size), ref.leaves[m]!, bad, root)).toThrow(RootMismatchError);
      }
    }
  });

  it("reads O(log n) stored nodes per proof in one batched call", async () => {
    const { store } = await build(5000);
    const counting = new CountingTreeStore(store);
    for (const [m, size] of [[0, 5000], [4999, 5000], [1234, 4097], [2047, 2048]] as const) {
      counting.reads = 0;
      counting.calls = 0;
      await inclusionProof(counting, BigInt(m), BigInt(size));
      expect(counting.calls).toBe(1);
      expect(counting.reads).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size)) + 1);
      counting.reads = 0;
      await consistencyProof(counting, BigInt(m + 1), BigInt(size));
      expect(counting.reads).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size)) + 1);
    }
  });

  it("appendToFrontier stores exactly the nodes the memory store holds", async () => {
    const leaves = Array.from({ length: 77 }, (_, i) => hashLeaf(entry(i)));
    let frontier: FrontierNode[] = [];
    let size = 0n;
    const store = new MemoryTreeStore();
    for (const batch of [leaves.slice(0, 5), leaves.slice(5, 6), leaves.slice(6, 77)]) {
      const out = appendToFrontier(size, frontier, batch);
      await store.appendLeaves(batch);
      for (const node of out.nodes) expect(equalBytes((await store.getNodes([node.id]))[0]!, node.hash)).toBe(true);
      frontier = out.frontier;
      size += BigInt(batch.length);
    }
    expect(frontier.map((f) => f.level)).toEqual([6, 3, 2, 0]);
  });
});

describe("preconditions", () => {
  it("rejects indices and sizes out of range with the offending values", async () => {
    const { store } = await build(10);
    await expect(inclusionProof(store, 10n, 10n)).rejects.toThrow("index 10 >= size 10");
    await expect(inclusionProof(store, 0n, 11n)).rejects.toThrow("size 11 > tree size 10");
    await expect(consistencyProof(store, 5n, 4n)).rejects.toThrow("size1 5 > size2 4");
    await expect(rootAt(store, -1n)).rejects.toThrow(LedgerError);
    await expect(store.getNodes([{ level: 3, index: 1n }])).rejects.toThrow("not stored");
    await expect(store.appendLeaves([randomBytes(31)])).rejects.toThrow("31 bytes");
  });

  it("accepts the trivial consistency cases and rejects empty proofs where one is needed", () => {
    const r = hashLeaf(entry(0));
    verifyConsistency(0n, 5n, r, r, []);
    verifyConsistency(5n, 5n, r, r, []);
    expect(() => verifyConsistency(5n, 5n, r, hashLeaf(entry(1)), [])).toThrow(RootMismatchError);
    expect(() => verifyConsistency(3n, 5n, r, r, [])).toThrow("empty consistency proof");
    expect(() => verifyConsistency(0n, 5n, r, r, [r])).toThrow("must be empty");
  });
});

describe("sizes beyond 2^53 (bigint)", () => {
  it("verifies proofs for indices near 2^64 exactly", () => {
    const size = (1n << 64n) - 1n;
    const index = size - 2n;
    const leaf = hashLeaf(entry(1));
    // inner 2 + border 62 = 64 hashes; any 64 hashes form a proof for some tree.
    const proof = Array.from({ length: 64 }, (_, i) => hashLeaf(entry(100 + i)));
    const root = rootFromInclusionProof(index, size, leaf, proof);
    verifyInclusion(index, size, leaf, proof, root);
    expect(() => verifyInclusion(index - 1n, size, leaf, proof, root)).toThrow(LedgerError);
    expect(() => rootFromInclusionProof(index, size + 1n, leaf, proof)).toThrow("outside [0, 2^64)");
  });
});

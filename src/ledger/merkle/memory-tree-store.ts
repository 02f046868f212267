import { badArgument } from "../errors.js";
import { HASH_SIZE, hashChildren } from "./hasher.js";
import type { NodeId } from "./node-id.js";
import type { TreeStore } from "./tree-store.js";

/** Hashes of one level, packed into one growing buffer (32 bytes per node). */
class Level {
  private buf = new Uint8Array(HASH_SIZE * 16);
  count = 0;

  push(hash: Uint8Array): void {
    if ((this.count + 1) * HASH_SIZE > this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf.set(hash, this.count * HASH_SIZE);
    this.count++;
  }

  view(i: number): Uint8Array {
    return this.buf.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }
}

/**
 * In-memory TreeStore: every perfect-subtree node, level by level, in packed buffers
 * (about 64 bytes per leaf). Limited by memory, not by index range; indices beyond
 * 2^53 can therefore never occur here.
 */
export class MemoryTreeStore implements TreeStore {
  private readonly levels: Level[] = [new Level()];

  async size(): Promise<bigint> {
    return BigInt(this.levels[0]!.count);
  }

  /** Synchronous size, for callers that own the store. */
  sizeSync(): number {
    return this.levels[0]!.count;
  }

  async getNodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    return ids.map((id) => {
      const level = this.levels[id.level];
      if (id.index < 0n || level === undefined || id.index >= BigInt(level.count)) {
        throw badArgument(`node (level ${id.level}, index ${id.index}) is not stored at tree size ${this.sizeSync()}`);
      }
      return level.view(Number(id.index)).slice();
    });
  }

  async appendLeaves(leafHashes: readonly Uint8Array[]): Promise<void> {
    for (const [i, leaf] of leafHashes.entries()) {
      if (leaf.length !== HASH_SIZE) throw badArgument(`leaf hash ${i} has ${leaf.length} bytes, want ${HASH_SIZE}`);
    }
    for (const leaf of leafHashes) this.appendOne(leaf);
  }

  private appendOne(leaf: Uint8Array): void {
    this.levels[0]!.push(leaf);
    // Completing a pair at level L completes one node at level L + 1 (binary carry).
    for (let l = 0; ; l++) {
      const level = this.levels[l]!;
      if (level.count % 2 !== 0) return;
      const parent = hashChildren(level.view(level.count - 2), level.view(level.count - 1));
      if (this.levels[l + 1] === undefined) this.levels.push(new Level());
      this.levels[l + 1]!.push(parent);
    }
  }
}

/**
 * A stored node of the tree: the root of the perfect subtree of 2^level leaves
 * covering leaves [index·2^level, (index+1)·2^level). Leaves are level 0.
 */
export interface NodeId {
  readonly level: number;
  readonly index: bigint;
}

/** The first leaf and one past the last leaf covered by `id`. */
export function nodeCoverage(id: NodeId): { begin: bigint; end: bigint } {
  const begin = id.index << BigInt(id.level);
  return { begin, end: begin + (1n << BigInt(id.level)) };
}

/**
 * The perfect subtrees covering [begin, end) in left-to-right order, as the RFC 6962
 * tree splits it. Requires begin <= end and begin aligned so that the RFC subtree of
 * [begin, end) exists: begin is 0 or a multiple of the smallest power of two >= end - begin.
 * The sizes are then the set bits of end - begin, largest first.
 */
export function perfectNodes(begin: bigint, end: bigint): NodeId[] {
  const out: NodeId[] = [];
  let at = begin;
  let rest = end - begin;
  for (let level = rest === 0n ? -1 : rest.toString(2).length - 1; level >= 0; level--) {
    const width = 1n << BigInt(level);
    if ((rest & width) === 0n) continue;
    out.push({ level, index: at >> BigInt(level) });
    at += width;
    rest -= width;
  }
  return out;
}

/** Stable string key of a node id, for maps and deduplication. */
export function nodeKey(id: NodeId): string {
  return `${id.level}:${id.index}`;
}

import type { Kysely } from "kysely";
import { appendToFrontier, LedgerError, perfectNodes, type NodeId, type TreeStore } from "../../ledger/index.js";
import type { Database } from "../storage/index.js";
import { inTransaction, toSafeNumber } from "./db-helpers.js";

// Rows per INSERT: three parameters a row stays far below PostgreSQL's 65,535.
const INSERT_CHUNK = 5_000;

/**
 * TreeStore on PostgreSQL (table `ledger_tree_nodes`): every perfect-subtree node by
 * (level, index), so a proof reads its O(log n) nodes in ONE query and an append reads
 * only the O(log n) frontier. `db` may be a transaction; appends then join it.
 * Indices must stay below 2^53 (the driver reads int8 as a number).
 */
export class PgTreeStore implements TreeStore {
  constructor(private readonly db: Kysely<Database>) {}

  async size(): Promise<bigint> {
    const row = await this.db.selectFrom("ledger_tree_nodes").select("node_index")
      .where("level", "=", 0).orderBy("node_index", "desc").limit(1).executeTakeFirst();
    return row === undefined ? 0n : BigInt(row.node_index) + 1n;
  }

  async getNodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom("ledger_tree_nodes").select(["level", "node_index", "hash"])
      .where((eb) => eb.or(ids.map((id) => eb.and([eb("level", "=", id.level), eb("node_index", "=", toSafeNumber(id.index, "node index"))]))))
      .execute();
    const byKey = new Map(rows.map((r) => [`${r.level}:${r.node_index}`, r.hash]));
    return ids.map((id) => {
      const hash = byKey.get(`${id.level}:${id.index}`);
      if (hash === undefined) throw new LedgerError("bad_argument", `node (level ${id.level}, index ${id.index}) is not stored`);
      return Uint8Array.from(hash);
    });
  }

  async appendLeaves(leafHashes: readonly Uint8Array[]): Promise<void> {
    if (leafHashes.length === 0) return;
    await inTransaction(this.db, async (tx) => {
      const store = new PgTreeStore(tx);
      const size = await store.size();
      const frontierIds = perfectNodes(0n, size);
      const hashes = await store.getNodes(frontierIds);
      const frontier = frontierIds.map((id, i) => ({ level: id.level, hash: hashes[i]! }));
      const { nodes } = appendToFrontier(size, frontier, leafHashes);
      for (let i = 0; i < nodes.length; i += INSERT_CHUNK) {
        await tx.insertInto("ledger_tree_nodes")
          .values(nodes.slice(i, i + INSERT_CHUNK).map((n) => ({ level: n.id.level, node_index: toSafeNumber(n.id.index, "node index"), hash: n.hash })))
          .execute();
      }
    });
  }
}

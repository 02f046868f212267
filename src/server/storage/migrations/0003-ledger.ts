import { sql, type Kysely, type Migration } from "kysely";

/**
 * The governance ledger: entries (canonical SignedLedgerEntry bytes, which hold the
 * governor signatures, plus their leaf hashes), the Merkle tree as every perfect-subtree
 * node by (level, index), the signed checkpoints, and pending proposals with the
 * signatures collected so far.
 */
export const migration0003: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("ledger_entries")
      .addColumn("entry_index", "bigint", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("body", "bytea", (c) => c.notNull())
      .addColumn("signature_count", "integer", (c) => c.notNull())
      .addColumn("leaf_hash", "bytea", (c) => c.notNull())
      .addColumn("appended_at_ms", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("ledger_tree_nodes")
      .addColumn("level", "integer", (c) => c.notNull())
      .addColumn("node_index", "bigint", (c) => c.notNull())
      .addColumn("hash", "bytea", (c) => c.notNull())
      .addPrimaryKeyConstraint("ledger_tree_nodes_pk", ["level", "node_index"])
      .execute();
    await db.schema
      .createTable("ledger_checkpoints")
      .addColumn("tree_size", "bigint", (c) => c.primaryKey())
      .addColumn("note", "text", (c) => c.notNull())
      .addColumn("signed_at_ms", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("ledger_proposals")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("entry_index", "bigint", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("entry", "bytea", (c) => c.notNull())
      .addColumn("proposer", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("applied_index", "bigint", (c) => c.notNull().defaultTo(sql`-1`))
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("ledger_proposals_state_idx").on("ledger_proposals").columns(["state", "created_at_ms"]).execute();
    await db.schema
      .createTable("ledger_proposal_signatures")
      .addColumn("proposal_id", "text", (c) => c.notNull().references("ledger_proposals.id"))
      .addColumn("public_key", "bytea", (c) => c.notNull())
      .addColumn("signature", "bytea", (c) => c.notNull())
      .addColumn("submitted_by", "text", (c) => c.notNull())
      .addColumn("submitted_at_ms", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("ledger_proposal_signatures_pk", ["proposal_id", "public_key"])
      .execute();
  },
};

import type { Kysely, Migration } from "kysely";

/**
 * The node's delta log and what it applied from peers. `delta_batches` holds every signed
 * batch by sequence (its leaf hash too, so the in-memory Merkle tree is rebuilt from one
 * column at start); `delta_items` the node's own state as the log describes it (the
 * latest digest and version of every (kind, key) a batch carried — the batcher's
 * anti-join and the state root read it); `sync_peers` each admitted peer's pinned log key
 * and trust state (trusted checkpoint, applied size, compact range); `sync_objects` the
 * peers' changes applied, by (origin, kind, key).
 */
export const migration0008: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("delta_batches")
      .addColumn("sequence", "bigint", (c) => c.primaryKey())
      .addColumn("leaf_hash", "bytea", (c) => c.notNull())
      .addColumn("body", "bytea", (c) => c.notNull())
      .addColumn("change_count", "integer", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("delta_items")
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("version", "text", (c) => c.notNull())
      .addColumn("digest", "bytea", (c) => c.notNull())
      .addColumn("sequence", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("delta_items_pk", ["kind", "key"])
      .execute();
    await db.schema
      .createTable("sync_peers")
      .addColumn("origin", "text", (c) => c.primaryKey())
      .addColumn("log_key", "text", (c) => c.notNull())
      .addColumn("address", "text", (c) => c.notNull())
      .addColumn("admitted_by", "text", (c) => c.notNull())
      .addColumn("trusted_note", "text", (c) => c.notNull().defaultTo(""))
      .addColumn("applied_size", "bigint", (c) => c.notNull())
      .addColumn("frontier", "text", (c) => c.notNull())
      .addColumn("last_leaf_hash", "bytea", (c) => c.notNull())
      .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("sync_objects")
      .addColumn("origin", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("digest", "bytea", (c) => c.notNull())
      .addColumn("value", "bytea", (c) => c.notNull())
      .addColumn("sequence", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("sync_objects_pk", ["origin", "kind", "key"])
      .execute();
  },
};

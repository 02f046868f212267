import type { Kysely, Migration } from "kysely";

/**
 * Plan sets a node built. The signed plan set itself is a contract-graph node (a
 * `contracts` row of kind `plan-set`, so the graph, its `supersedes` edges and the delta
 * log carry it); `plan_sets` indexes the chain of each compiler version and objective by
 * sequence, so "the newest" is one index lookup, and keeps who asked for each build.
 */
export const migration0010: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("plan_sets")
      .addColumn("id", "text", (c) => c.primaryKey().references("contracts.id"))
      .addColumn("compiler", "integer", (c) => c.notNull())
      .addColumn("compiler_version", "text", (c) => c.notNull())
      .addColumn("objective", "integer", (c) => c.notNull())
      .addColumn("sequence", "integer", (c) => c.notNull())
      .addColumn("supersedes", "text", (c) => c.notNull())
      .addColumn("key_id", "text", (c) => c.notNull())
      .addColumn("built_by", "text", (c) => c.notNull())
      .addColumn("built_at_ms", "bigint", (c) => c.notNull())
      .addUniqueConstraint("plan_sets_chain_uq", ["compiler", "compiler_version", "objective", "sequence"])
      .execute();
  },
};

import type { Kysely, Migration } from "kysely";

/**
 * Organisations' members: one row per (participant, member actor, role). The participant
 * actor itself holds every role of its organisation without a row; rows give other
 * registered actors `lead`, `write`, `read` or `audit` in it.
 */
export const migration0007: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("members")
      .addColumn("participant", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("added_by", "text", (c) => c.notNull())
      .addColumn("added_at_ms", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("members_pk", ["participant", "actor", "role"])
      .execute();
    await db.schema.createIndex("members_actor_idx").on("members").columns(["actor", "participant"]).execute();
  },
};

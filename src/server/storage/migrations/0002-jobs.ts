import type { Kysely, Migration } from "kysely";

/** The evaluation-job queue. */
export const migration0002: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("jobs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("problem_id", "text", (c) => c.notNull().references("problems.id"))
      .addColumn("plan", "bytea", (c) => c.notNull())
      .addColumn("compiler", "integer", (c) => c.notNull())
      .addColumn("compiler_version", "text", (c) => c.notNull())
      .addColumn("objective", "integer", (c) => c.notNull())
      .addColumn("ir_digest", "text", (c) => c.notNull())
      .addColumn("ir_format", "text", (c) => c.notNull())
      .addColumn("owner", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("attempts", "integer", (c) => c.notNull())
      .addColumn("max_attempts", "integer", (c) => c.notNull())
      .addColumn("available_at_ms", "bigint", (c) => c.notNull())
      .addColumn("lease_expires_at_ms", "bigint", (c) => c.notNull())
      .addColumn("claimed_by", "text", (c) => c.notNull())
      .addColumn("claim_token", "text", (c) => c.notNull())
      .addColumn("errors", "text", (c) => c.notNull())
      .addColumn("signal_id", "text", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("jobs_claim_idx").on("jobs").columns(["compiler", "compiler_version", "state", "available_at_ms"]).execute();
    await db.schema.createIndex("jobs_problem_idx").on("jobs").columns(["problem_id", "created_at_ms"]).execute();
  },
};

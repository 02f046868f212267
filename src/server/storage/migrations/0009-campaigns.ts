import type { Kysely, Migration } from "kysely";

/**
 * Campaigns: searches kept by the registry so they can resume, be handed off and be
 * replayed. `campaigns` holds one row per search (problem, owning organisation, holder,
 * strategy, seed, budget, batch size, plan-set version, state and counters);
 * `campaign_batches` its history, one row per batch its strategy proposed, numbered from 1
 * in the order the registry accepted them, with the batch's job ids in order (a JSON array
 * of strings; each job's plan is `jobs.plan`). Both only grow, except the campaign row's
 * holder, state and counters.
 */
export const migration0009: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("campaigns")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("problem_id", "text", (c) => c.notNull())
      .addColumn("owner", "text", (c) => c.notNull())
      .addColumn("holder", "text", (c) => c.notNull())
      .addColumn("strategy", "text", (c) => c.notNull())
      .addColumn("seed", "bigint", (c) => c.notNull())
      .addColumn("max_evaluations", "integer", (c) => c.notNull())
      .addColumn("time_limit_ms", "bigint", (c) => c.notNull())
      .addColumn("batch_size", "integer", (c) => c.notNull())
      .addColumn("plan_set_version", "text", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("finish_reason", "text", (c) => c.notNull())
      .addColumn("elapsed_ms", "bigint", (c) => c.notNull())
      .addColumn("evaluations", "integer", (c) => c.notNull())
      .addColumn("batches", "integer", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("campaigns_owner_idx").on("campaigns").columns(["owner", "created_at_ms"]).execute();
    await db.schema
      .createTable("campaign_batches")
      .addColumn("campaign_id", "text", (c) => c.notNull())
      .addColumn("sequence", "integer", (c) => c.notNull())
      .addColumn("job_ids", "text", (c) => c.notNull())
      .addColumn("elapsed_ms", "bigint", (c) => c.notNull())
      .addColumn("enqueued_by", "text", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("campaign_batches_pk", ["campaign_id", "sequence"])
      .execute();
  },
};

import { sql, type Kysely, type Migration } from "kysely";

/**
 * Spot checks. A job that re-measures another (a check or a tie-break) names it in
 * `check_of` and lists in `excluded_adapters` the adapters whose results it checks, which
 * may not claim it. Every signal gets a status (`accepted`, `provisional`, `refused`);
 * signals stored before this migration were counted, so they are `accepted`.
 */
export const migration0004: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable("jobs")
      .addColumn("check_of", "text", (c) => c.notNull().defaultTo(""))
      .addColumn("excluded_adapters", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .execute();
    // Only checks have a `check_of`: the index stays as small as the checks.
    await db.schema.createIndex("jobs_check_of_idx").on("jobs").column("check_of").where(sql.ref("check_of"), "<>", "").execute();
    await db.schema.alterTable("signals").addColumn("status", "text", (c) => c.notNull().defaultTo("accepted")).execute();
  },
};

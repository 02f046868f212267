import { sql, type Kysely, type Migration } from "kysely";

/**
 * Privacy budgets, their charges and the releases they paid for. Amounts (ε under pure DP,
 * ρ under zCDP) are integer counts of 10⁻⁹ stored as `numeric`, so sums are exact and read
 * back as strings on both PGlite and PostgreSQL. A budget is one row per (participant,
 * problem family), locked `FOR UPDATE` by each charge. Every charge is a row; a release is
 * keyed by what it releases (subject, quantity), made once and then served as stored. The
 * exact value a release was made from is never stored here.
 */
export const migration0006: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("privacy_budgets")
      .addColumn("participant", "text", (c) => c.notNull())
      .addColumn("family", "text", (c) => c.notNull())
      .addColumn("accountant", "text", (c) => c.notNull())
      .addColumn("total", "numeric", (c) => c.notNull())
      .addColumn("spent", "numeric", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("privacy_budgets_pk", ["participant", "family"])
      .addCheckConstraint("privacy_budgets_amounts", sql`total >= 0 and spent >= 0`)
      .execute();
    await db.schema
      .createTable("privacy_charges")
      .addColumn("sequence", "bigserial", (c) => c.primaryKey())
      .addColumn("participant", "text", (c) => c.notNull())
      .addColumn("family", "text", (c) => c.notNull())
      .addColumn("accountant", "text", (c) => c.notNull())
      .addColumn("amount", "numeric", (c) => c.notNull())
      .addColumn("spent_after", "numeric", (c) => c.notNull())
      .addColumn("total", "numeric", (c) => c.notNull())
      .addColumn("subject", "text", (c) => c.notNull())
      .addColumn("quantity", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("charged_at_ms", "bigint", (c) => c.notNull())
      .addForeignKeyConstraint("privacy_charges_budget_fk", ["participant", "family"], "privacy_budgets", ["participant", "family"])
      .addCheckConstraint("privacy_charges_amount", sql`amount >= 0`)
      .execute();
    await db.schema.createIndex("privacy_charges_budget_idx").on("privacy_charges").columns(["participant", "family", "sequence"]).execute();
    await db.schema
      .createTable("privacy_releases")
      .addColumn("subject", "text", (c) => c.notNull())
      .addColumn("quantity", "text", (c) => c.notNull())
      .addColumn("participant", "text", (c) => c.notNull())
      .addColumn("family", "text", (c) => c.notNull())
      .addColumn("value", "numeric", (c) => c.notNull())
      .addColumn("clamp_min", "numeric", (c) => c.notNull())
      .addColumn("clamp_max", "numeric", (c) => c.notNull())
      .addColumn("mechanism", "text", (c) => c.notNull())
      .addColumn("mechanism_parameter", "text", (c) => c.notNull())
      .addColumn("accountant", "text", (c) => c.notNull())
      .addColumn("cost", "numeric", (c) => c.notNull())
      .addColumn("charge_sequence", "bigint", (c) => c.notNull().references("privacy_charges.sequence"))
      .addColumn("released_by", "text", (c) => c.notNull())
      .addColumn("released_at_ms", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("privacy_releases_pk", ["subject", "quantity"])
      .execute();
    await db.schema.createIndex("privacy_releases_budget_idx").on("privacy_releases").columns(["participant", "family", "released_at_ms"]).execute();
  },
};

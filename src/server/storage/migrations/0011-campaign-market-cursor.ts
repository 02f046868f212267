import type { Kysely, Migration } from "kysely";

/**
 * How far a campaign's strategy read the market when it was prepared (a ListMarketSignals
 * cursor, "" when it read none), so a resume reads the same signals again.
 */
export const migration0011: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable("campaigns").addColumn("market_cursor", "text", (c) => c.notNull().defaultTo("")).execute();
  },
};

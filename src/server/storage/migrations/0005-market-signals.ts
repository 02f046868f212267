import type { Kysely, Migration } from "kysely";

/**
 * The market feed (ListMarketSignals) reads every problem's signals in (created_at_ms, id)
 * order from a cursor: an index in that order makes a page a range scan, not a sort of
 * every signal.
 */
export const migration0005: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createIndex("signals_created_idx").on("signals").columns(["created_at_ms", "id"]).execute();
  },
};

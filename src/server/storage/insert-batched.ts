import type { Insertable, Kysely } from "kysely";
import type { Database } from "./database.js";

/** Tables whose rows are content-addressed: `id` is the hash of the row's bytes. */
export type ContentAddressedTable = "signals" | "problems";

type Row<T extends ContentAddressedTable> = Insertable<Database[T]> & { id: string };

interface Waiting {
  row: { id: string };
  resolve(created: boolean): void;
  reject(err: unknown): void;
}

/** Rows waiting for their statement, per transaction, per table. */
const waiting = new WeakMap<Kysely<Database>, Map<ContentAddressedTable, Waiting[]>>();

/**
 * Inserts a content-addressed row unless its id is stored already, and resolves to
 * whether it was new. Rows inserted through the same transaction in one turn of the
 * event loop — handlers running side by side in a commit group — go in one multi-row
 * `insert … on conflict (id) do nothing returning id`, one round trip instead of one
 * each; of equal ids within it, the first is the new one.
 */
export function insertBatched<T extends ContentAddressedTable>(db: Kysely<Database>, table: T, row: Row<T>): Promise<boolean> {
  let tables = waiting.get(db);
  if (tables === undefined) {
    tables = new Map();
    waiting.set(db, tables);
    setImmediate(() => void flush(db));
  }
  const rows = tables.get(table) ?? [];
  tables.set(table, rows);
  return new Promise<boolean>((resolve, reject) => rows.push({ row, resolve, reject }));
}

async function flush(db: Kysely<Database>): Promise<void> {
  const tables = waiting.get(db);
  waiting.delete(db);
  for (const [table, rows] of tables ?? []) {
    const first = new Map<string, Waiting>();
    for (const w of rows) if (!first.has(w.row.id)) first.set(w.row.id, w);
    try {
      const inserted = await (db as unknown as Kysely<Record<ContentAddressedTable, { id: string }>>).insertInto(table)
        .values([...first.values()].map((w) => w.row))
        .onConflict((oc) => oc.column("id").doNothing()).returning("id").execute();
      const created = new Set(inserted.map((r) => r.id));
      for (const w of rows) w.resolve(first.get(w.row.id) === w && created.has(w.row.id));
    } catch (err) {
      for (const w of rows) w.reject(err);
    }
  }
}

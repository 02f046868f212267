import { PGlite } from "@electric-sql/pglite";
import { Kysely, Migrator, PostgresDialect, type MigrationProvider } from "kysely";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { OpmError } from "../../kernel/errors/index.js";
import type { Database } from "./database.js";
import { MIGRATIONS } from "./migrations/index.js";
import { PGliteDialect } from "./pglite-dialect.js";

const INT8_OID = 20;

/** An open, migrated database. */
export interface OpenDatabase {
  db: Kysely<Database>;
  /** `pglite` (embedded, under the data dir) or `postgres` (a server). */
  kind: "pglite" | "postgres";
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** `postgres://…` URL of a server; when absent the embedded database under `dataDir` is used. */
  url?: string;
  /** Directory of the embedded database (created if missing); required without `url` unless `ephemeral`. */
  dataDir?: string;
  /** An embedded database in memory, gone when closed: for throwaway runs such as `opm optimize`. */
  ephemeral?: boolean;
  /** Pool size for a server database. */
  poolSize?: number;
}

/**
 * Opens PostgreSQL — a server through `pg` when `url` is given, otherwise embedded
 * PGlite under `dataDir/pg` — and brings it to the latest migration. Both run the same
 * queries and migrations; PGlite syncs to disk on every commit (its default durability).
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<OpenDatabase> {
  let open: OpenDatabase;
  if (options.url !== undefined && options.url !== "") {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 16,
      types: { getTypeParser: ((oid: number, format?: "text" | "binary") => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as "text"))) as typeof pg.types.getTypeParser },
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    open = { db, kind: "postgres", close: () => db.destroy() };
  } else {
    const parsers = { [INT8_OID]: (v: string) => Number(v) };
    let pglite: PGlite;
    if (options.ephemeral === true) {
      pglite = await PGlite.create({ parsers });
    } else {
      if (options.dataDir === undefined) throw new OpmError("invalid_argument", "a data dir or a database URL is required");
      const dir = join(options.dataDir, "pg");
      mkdirSync(dir, { recursive: true });
      pglite = await PGlite.create({ dataDir: dir, parsers });
    }
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    open = {
      db,
      kind: "pglite",
      close: async () => {
        await db.destroy();
        await pglite.close();
      },
    };
  }
  try {
    await migrateToLatest(open.db);
  } catch (err) {
    await open.close();
    throw err;
  }
  return open;
}

const provider: MigrationProvider = { getMigrations: async () => ({ ...MIGRATIONS }) };

/** Applies every pending migration; throws OpmError("unavailable") naming the failed one. */
export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new OpmError("unavailable", `migration ${failed} failed: ${String(error)}`, { cause: error });
  }
}

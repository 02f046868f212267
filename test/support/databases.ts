import { randomBytes } from "node:crypto";
import pg from "pg";

/** One database a test suite runs against. */
export interface TestDatabase {
  /** `pglite` or `postgres`. */
  kind: "pglite" | "postgres";
  /** A fresh, empty database URL for postgres; undefined for the embedded default. */
  create(): Promise<string | undefined>;
}

/**
 * The databases integration suites loop over, as kysely's suites loop over dialects:
 * always the embedded PGlite, plus the real PostgreSQL server named by
 * OPM_TEST_POSTGRES_URL (which `scripts/test.sh` starts on loopback). Each `create()`
 * makes a new database so suites never share state.
 */
export function testDatabases(): TestDatabase[] {
  const out: TestDatabase[] = [{ kind: "pglite", create: async () => undefined }];
  const adminUrl = process.env.OPM_TEST_POSTGRES_URL;
  if (adminUrl !== undefined && adminUrl !== "") {
    out.push({
      kind: "postgres",
      create: async () => {
        const name = `opm_test_${randomBytes(6).toString("hex")}`;
        const client = new pg.Client({ connectionString: adminUrl });
        await client.connect();
        try {
          await client.query(`create database ${name}`);
        } finally {
          await client.end();
        }
        const url = new URL(adminUrl);
        url.pathname = `/${name}`;
        return url.toString();
      },
    });
  } else if (process.env.CI === "true" || process.env.OPM_TEST_REQUIRE_POSTGRES === "1") {
    throw new Error("OPM_TEST_POSTGRES_URL must be set (npm test and CI run against real PostgreSQL too)");
  }
  return out;
}

import { sql, type Kysely, type Migration } from "kysely";

/** Actors, contracts, problems, signals, audit log, nonces and idempotency keys. */
export const migration0001: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("actors")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("public_key", "bytea", (c) => c.notNull())
      .addColumn("key_id", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("capabilities", "bytea", (c) => c.notNull())
      .addColumn("owner", "text", (c) => c.notNull().defaultTo(""))
      .addColumn("certificate_fingerprint", "text", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("contracts")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("ref", "text", (c) => c.notNull().unique())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("version", "text", (c) => c.notNull())
      .addColumn("major", "integer", (c) => c.notNull())
      .addColumn("minor", "integer", (c) => c.notNull())
      .addColumn("patch", "integer", (c) => c.notNull())
      .addColumn("body", "bytea", (c) => c.notNull())
      .addColumn("publisher", "text", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .addColumn("superseded", "boolean", (c) => c.notNull().defaultTo(false))
      .addColumn("compiler", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("level", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("pass_name", "text", (c) => c.notNull().defaultTo(""))
      .addColumn("compiler_min", "text", (c) => c.notNull().defaultTo(""))
      .addColumn("compiler_max", "text", (c) => c.notNull().defaultTo(""))
      .addColumn("invariants", sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
      .execute();
    await db.schema.createIndex("contracts_name_idx").on("contracts").columns(["name", "major", "minor", "patch"]).execute();
    await db.schema.createIndex("contracts_discovery_idx").on("contracts").columns(["compiler", "level", "pass_name"]).execute();

    await db.schema
      .createTable("contract_edges")
      .addColumn("from_id", "text", (c) => c.notNull().references("contracts.id"))
      .addColumn("to_id", "text", (c) => c.notNull().references("contracts.id"))
      .addColumn("kind", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("contract_edges_pk", ["from_id", "to_id", "kind"])
      .execute();
    await db.schema.createIndex("contract_edges_to_idx").on("contract_edges").column("to_id").execute();

    await db.schema
      .createTable("problems")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("participant", "text", (c) => c.notNull())
      .addColumn("compiler", "integer", (c) => c.notNull())
      .addColumn("objective", "integer", (c) => c.notNull())
      .addColumn("visibility", "integer", (c) => c.notNull())
      .addColumn("body", "bytea", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("signals")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("problem_id", "text", (c) => c.notNull().references("problems.id"))
      .addColumn("adapter", "text", (c) => c.notNull())
      .addColumn("body", "bytea", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("signals_problem_idx").on("signals").columns(["problem_id", "created_at_ms"]).execute();

    await db.schema
      .createTable("audit_events")
      .addColumn("sequence", "bigserial", (c) => c.primaryKey())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("object", "text", (c) => c.notNull())
      .addColumn("at_ms", "bigint", (c) => c.notNull())
      .addColumn("correlation_id", "text", (c) => c.notNull())
      .addColumn("request_digest", "text", (c) => c.notNull())
      .addColumn("detail", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("request_nonces")
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("nonce", "text", (c) => c.notNull())
      .addColumn("seen_at_ms", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("request_nonces_pk", ["actor", "nonce"])
      .execute();
    await db.schema.createIndex("request_nonces_seen_idx").on("request_nonces").column("seen_at_ms").execute();

    await db.schema
      .createTable("idempotency_keys")
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("method", "text", (c) => c.notNull())
      .addColumn("request_digest", "text", (c) => c.notNull())
      .addColumn("response", "bytea", (c) => c.notNull())
      .addColumn("created_at_ms", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("idempotency_keys_pk", ["actor", "key"])
      .execute();
  },
};

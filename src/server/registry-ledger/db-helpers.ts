import type { Kysely, Transaction } from "kysely";
import { sql } from "kysely";
import { OpmError } from "../../kernel/errors/index.js";
import type { Database } from "../storage/index.js";

/** Runs `fn` in `db` when it already is a transaction, otherwise in a new one. */
export function inTransaction<T>(db: Kysely<Database>, fn: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute((tx: Transaction<Database>) => fn(tx));
}

/** `n` as a number, for int8 columns the driver reads as numbers; throws out_of_range past 2^53. */
export function toSafeNumber(n: bigint, what: string): number {
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) throw new OpmError("invalid_argument", `${what} ${n} is outside [0, 2^53)`);
  return Number(n);
}

// Arbitrary constant naming the ledger's advisory lock ("OPMLEDGR").
const LEDGER_LOCK_KEY = 0x4f504d4c45444752n;

/**
 * Takes the ledger's transaction-scoped advisory lock: every proposal, approval and
 * append is serialized across connections (and nodes sharing the database) until the
 * transaction ends. Requires `tx` to be a transaction.
 */
export async function lockLedger(tx: Kysely<Database>): Promise<void> {
  if (!tx.isTransaction) throw new OpmError("internal", "the ledger lock needs a transaction");
  await sql`select pg_advisory_xact_lock(${LEDGER_LOCK_KEY.toString()}::bigint)`.execute(tx);
}

/** Lowercase hex of a raw key, as GovernorSet keys are spelled. */
export function toHexKey(key: Uint8Array): string {
  return Buffer.from(key).toString("hex");
}

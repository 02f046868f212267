import type { Insertable, Kysely } from "kysely";
import type { Database } from "../storage/index.js";

/** What a domain handler knows about the call it serves. */
export interface CallContext {
  /** The caller: its client certificate's common name. */
  actor: string;
  /** SHA-256 fingerprint of the caller's client certificate (`AA:BB:…`). */
  certificateFingerprint: string;
  /** Full gRPC method path. */
  method: string;
  /** The request's idempotency key, or a server-made id for unsigned reads. */
  correlationId: string;
  /** SHA-256 hex of the request bytes. */
  requestDigest: string;
  /** Unix milliseconds when the server accepted the call. */
  now: number;
  /** The transaction of a state-changing call (the database itself for reads). */
  db: Kysely<Database>;
  /** Records an AuditEvent in the same transaction as the change it describes. */
  audit(action: string, object: string, detail?: string): Promise<void>;
  /** Runs `fn` once the change is committed (at once where there is no transaction to wait for). */
  afterCommit(fn: () => void): void;
}

/** What a handler knows about its call, besides the transaction it runs in. */
export type CallFields = Omit<CallContext, "db" | "audit" | "afterCommit">;

/** The audit_events row of one `ctx.audit(action, object, detail)` in the call `fields`. */
export function auditEventRow(fields: CallFields, action: string, object: string, detail: string): Insertable<Database["audit_events"]> {
  return { actor: fields.actor, action, object, at_ms: fields.now, correlation_id: fields.correlationId, request_digest: fields.requestDigest, detail };
}

/** A context for `db` (a transaction or the database) with an `audit` that writes into it. */
export function createCallContext(db: Kysely<Database>, fields: CallFields): CallContext {
  return {
    ...fields,
    db,
    afterCommit: (fn) => fn(),
    audit: async (action, object, detail = "") => {
      await db.insertInto("audit_events").values(auditEventRow(fields, action, object, detail)).execute();
    },
  };
}

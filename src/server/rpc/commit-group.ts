import { sql, type Insertable, type Kysely } from "kysely";
import { OpmError } from "../../kernel/errors/index.js";
import type { Database } from "../storage/index.js";
import { auditEventRow, type CallContext, type CallFields } from "./call-context.js";

/** One authenticated state-changing call, waiting for a transaction. */
export interface SignedCall<T> {
  fields: CallFields;
  nonce: string;
  /** The idempotency key (also the call's correlation id). */
  idempotencyKey: string;
  /** The domain handler: reads and writes only through `ctx.db`. */
  handle(ctx: CallContext): Promise<T>;
  /**
   * May run concurrently with the neighbouring `sideBySide` calls of its group: true only
   * for handlers whose reads do not depend on what the others write (immutable or
   * cached rows) and whose writes cannot collide (content-addressed rows, `insertBatched`).
   */
  sideBySide?: boolean;
  /** The response as stored for a retry under the same idempotency key… */
  encode(response: T): Uint8Array;
  /** …and read back for that retry. */
  decode(stored: Uint8Array): T;
}

export interface CommitGroupOptions {
  /** Transactions in flight at once (one connection each). PGlite has one connection: 1. */
  lanes: number;
  /** Most calls one transaction carries. */
  maxBatch: number;
}

interface Pending<T> {
  call: SignedCall<T>;
  resolve(response: T): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit for signed state-changing calls. Each call's nonce claim, idempotency
 * lookup, change, audit events and idempotency record are one atomic unit, durable
 * before its reply — exactly as if it ran in its own transaction. But calls that arrive
 * while a transaction is in flight wait and then share the next one: one BEGIN/COMMIT
 * and one WAL flush, one statement claiming every nonce and looking up every key, the
 * calls' handlers in arrival order, and one statement writing every idempotency record
 * and audit event. At low load a call starts at once, in a group of one.
 *
 * A handler that throws aborts the whole group (a PostgreSQL transaction cannot go on
 * after a failed statement); the group rolls back and each of its calls runs again in a
 * group of its own, so a bad call costs its neighbours one repeat, never their
 * outcome. A call alone that fails still consumes its nonce (in its own transaction), so
 * the same signed request cannot be replayed later, when it might succeed.
 *
 * Handlers must therefore keep side effects outside the database in `ctx.afterCommit`:
 * a group may run a handler and then roll it back.
 */
export class CommitGroup {
  private readonly queue: Array<Pending<unknown>> = [];
  private busyLanes = 0;
  /** Nonces and idempotency keys of the calls in running groups. */
  private readonly inFlight = new Set<string>();

  constructor(private readonly db: Kysely<Database>, private readonly options: CommitGroupOptions) {
    if (!(options.lanes >= 1 && options.maxBatch >= 1)) throw new OpmError("invalid_argument", "a commit group needs at least one lane and a batch of at least one");
  }

  /** Runs `call` in the next group; resolves once its group has committed. */
  submit<T>(call: SignedCall<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ call, resolve, reject } as Pending<unknown>);
      this.pump();
    });
  }

  private pump(): void {
    while (this.busyLanes < this.options.lanes && this.queue.length > 0) {
      const group = this.takeGroup();
      if (group.length === 0) return;
      this.busyLanes++;
      const keys = group.flatMap((p) => claimKeys(p.call));
      void this.runGroup(group).finally(() => {
        keys.forEach((k) => this.inFlight.delete(k));
        this.busyLanes--;
        this.pump();
      });
    }
  }

  /**
   * The next group in arrival order. A call whose nonce or idempotency key repeats one
   * of a running group or of this group waits for a later group, where the committed
   * first one decides it (nonce replayed / the stored response) without running twice.
   */
  private takeGroup(): Array<Pending<unknown>> {
    const group: Array<Pending<unknown>> = [];
    for (let i = 0; i < this.queue.length && group.length < this.options.maxBatch;) {
      const keys = claimKeys(this.queue[i]!.call);
      if (keys.some((k) => this.inFlight.has(k))) {
        i++;
        continue;
      }
      keys.forEach((k) => this.inFlight.add(k));
      group.push(this.queue.splice(i, 1)[0]!);
    }
    return group;
  }

  private async runGroup(group: Array<Pending<unknown>>): Promise<void> {
    const committed: Array<() => void> = [];
    let outcomes: Outcome[];
    try {
      outcomes = await this.db.transaction().execute((tx) => runCalls(tx, group.map((p) => p.call), committed));
    } catch (err) {
      if (group.length === 1) {
        await claimNonce(this.db, group[0]!.call).catch(() => undefined);
        group[0]!.reject(err);
        return;
      }
      for (const pending of group) await this.runGroup([pending]);
      return;
    }
    committed.forEach((fn) => fn());
    outcomes.forEach((o, i) => (o.ok ? group[i]!.resolve(o.value) : group[i]!.reject(o.error)));
  }
}

/** What must be unique among running calls: the caller's nonce and its idempotency key. */
function claimKeys(call: SignedCall<unknown>): string[] {
  return [`n\0${call.fields.actor}\0${call.nonce}`, `k\0${call.fields.actor}\0${call.idempotencyKey}`];
}

/**
 * Runs `calls` in `tx`: claims, handlers, records. Handlers run in arrival order; a run
 * of consecutive `sideBySide` calls runs concurrently (their batched inserts then share
 * one statement). Throws when any handler throws.
 */
async function runCalls(tx: Kysely<Database>, calls: Array<SignedCall<unknown>>, committed: Array<() => void>): Promise<Outcome[]> {
  const claims = await claimNoncesAndLookUp(tx, calls);
  const outcomes: Outcome[] = [];
  const toRun: number[] = [];
  for (const [i, call] of calls.entries()) {
    const claim = claims[i]!;
    if (!claim.fresh) {
      outcomes[i] = { ok: false, error: new OpmError("nonce_replayed", `nonce ${call.nonce} was already used by ${call.fields.actor}`) };
    } else if (claim.method !== null) {
      outcomes[i] = claim.method !== call.fields.method || claim.request_digest !== call.fields.requestDigest
        ? { ok: false, error: new OpmError("failed_precondition", `idempotency key ${call.idempotencyKey} was used for a different request (${claim.method})`) }
        : { ok: true, value: call.decode(claim.response ?? new Uint8Array()) };
    } else {
      toRun.push(i);
    }
  }
  const events: Array<Array<Insertable<Database["audit_events"]>>> = calls.map(() => []);
  const hooks: Array<Array<() => void>> = calls.map(() => []);
  const run = async (i: number): Promise<void> => {
    const { fields } = calls[i]!;
    const ctx: CallContext = {
      ...fields,
      db: tx,
      audit: async (action, object, detail = "") => {
        events[i]!.push(auditEventRow(fields, action, object, detail));
      },
      afterCommit: (fn) => hooks[i]!.push(fn),
    };
    outcomes[i] = { ok: true, value: await calls[i]!.handle(ctx) };
  };
  for (let j = 0; j < toRun.length;) {
    let k = j + 1;
    if (calls[toRun[j]!]!.sideBySide === true) while (k < toRun.length && calls[toRun[k]!]!.sideBySide === true) k++;
    // allSettled, not all: no handler may still be using the transaction when it rolls back.
    const failed = (await Promise.allSettled(toRun.slice(j, k).map(run))).find((r) => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    j = k;
  }
  const records = toRun.map((i) => {
    const { fields } = calls[i]!;
    const response = calls[i]!.encode((outcomes[i] as { value: unknown }).value);
    return { actor: fields.actor, key: calls[i]!.idempotencyKey, method: fields.method, request_digest: fields.requestDigest, response, created_at_ms: fields.now };
  });
  const allEvents = events.flat();
  if (records.length > 0) {
    await (allEvents.length === 0
      ? tx.insertInto("idempotency_keys").values(records)
      : tx.with("audit", (db) => db.insertInto("audit_events").values(allEvents)).insertInto("idempotency_keys").values(records)
    ).execute();
  }
  committed.push(...hooks.flat());
  return outcomes;
}

interface Claim { fresh: boolean; method: string | null; request_digest: string | null; response: Uint8Array | null }

/**
 * Claims every call's nonce and reads any earlier answer under its idempotency key, in
 * one statement; rows come back in call order.
 */
async function claimNoncesAndLookUp(tx: Kysely<Database>, calls: Array<SignedCall<unknown>>): Promise<Claim[]> {
  const input = sql.join(calls.map((c, i) =>
    sql`(${c.fields.actor}::text, ${c.nonce}::text, ${c.idempotencyKey}::text, ${c.fields.now}::bigint, ${i}::int)`));
  const { rows } = await sql<Claim>`
    with input (actor, nonce, key, now, ord) as (values ${input}),
    claimed as (
      insert into request_nonces (actor, nonce, seen_at_ms) select actor, nonce, now from input
      on conflict (actor, nonce) do nothing returning actor, nonce)
    select exists (select 1 from claimed c where c.actor = i.actor and c.nonce = i.nonce) as fresh,
      k.method, k.request_digest, k.response
    from input i left join idempotency_keys k on k.actor = i.actor and k.key = i.key
    order by i.ord`.execute(tx);
  return rows;
}

/** Records the nonce of a call that failed, so that its signed request cannot be replayed. */
async function claimNonce(db: Kysely<Database>, call: SignedCall<unknown>): Promise<void> {
  await db.insertInto("request_nonces").values({ actor: call.fields.actor, nonce: call.nonce, seen_at_ms: call.fields.now })
    .onConflict((oc) => oc.columns(["actor", "nonce"]).doNothing()).execute();
}

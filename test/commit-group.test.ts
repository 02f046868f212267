import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpmError } from "../src/kernel/errors/index.js";
import { CommitGroup, type CallContext, type SignedCall } from "../src/server/rpc/index.js";
import { insertBatched, openDatabase, type OpenDatabase } from "../src/server/storage/index.js";
import { testDatabases } from "./support/databases.js";

/**
 * Group commit, driven directly (the gRPC path is covered by registry.test.ts): calls
 * that share a transaction keep the outcome each would have had alone.
 */
describe.each(testDatabases())("CommitGroup on $kind", (target) => {
  let database: OpenDatabase;
  let serial = 0;

  beforeAll(async () => {
    const url = await target.create();
    database = await openDatabase(url === undefined ? { ephemeral: true } : { url });
  }, 60_000);
  afterAll(async () => database?.close());

  /** A call by `actor` that records `object` as an audit event, or throws `fail`. */
  function call(actor: string, object: string, options: { nonce?: string; key?: string; fail?: Error; onCommit?: () => void; runs?: string[] } = {}): SignedCall<string> {
    serial++;
    const n = String(serial).padStart(32, "0");
    return {
      fields: { actor, certificateFingerprint: "", method: "/test/Write", correlationId: options.key ?? `key-${n}`, requestDigest: object, now: Date.now() },
      nonce: options.nonce ?? n,
      idempotencyKey: options.key ?? `key-${n}`,
      handle: async (ctx: CallContext) => {
        options.runs?.push(object);
        await ctx.audit("test.write", object);
        if (options.fail) throw options.fail;
        if (options.onCommit) ctx.afterCommit(options.onCommit);
        return `done ${object}`;
      },
      encode: (r) => new TextEncoder().encode(r),
      decode: (b) => new TextDecoder().decode(b),
    };
  }

  const audited = async (object: string) =>
    (await database.db.selectFrom("audit_events").select("object").where("object", "=", object).execute()).length;
  const nonceTaken = async (actor: string, nonce: string) =>
    (await database.db.selectFrom("request_nonces").select("nonce").where("actor", "=", actor).where("nonce", "=", nonce).execute()).length === 1;

  it("commits a burst of calls, each with its audit event and idempotency record", async () => {
    const group = new CommitGroup(database.db, { lanes: 1, maxBatch: 64 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => group.submit(call("alice", `burst-${i}`))));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => `done burst-${i}`));
    for (let i = 0; i < 20; i++) expect(await audited(`burst-${i}`)).toBe(1);
  });

  it("a failing call fails alone: its neighbours commit once, its nonce is spent, its writes are gone", async () => {
    const group = new CommitGroup(database.db, { lanes: 1, maxBatch: 64 });
    const committed: string[] = [];
    const bad = call("bob", "bad", { fail: new OpmError("invalid_argument", "field `x`: no") });
    const calls = [
      call("bob", "good-0", { onCommit: () => committed.push("good-0") }),
      bad,
      call("bob", "good-1", { onCommit: () => committed.push("good-1") }),
    ];
    // Occupy the lane so that the three queue up and share the next group.
    const blocker = group.submit(call("bob", "blocker"));
    const outcomes = await Promise.allSettled(calls.map((c) => group.submit(c)));
    await blocker;
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: "invalid_argument" });
    expect(committed.sort()).toEqual(["good-0", "good-1"]);
    expect(await audited("good-0")).toBe(1);
    expect(await audited("good-1")).toBe(1);
    expect(await audited("bad")).toBe(0);
    expect(await nonceTaken("bob", bad.nonce)).toBe(true);
  });

  it("runs side-by-side calls concurrently, their content-addressed inserts in one statement, each told whether its row was new", async () => {
    const group = new CommitGroup(database.db, { lanes: 1, maxBatch: 64 });
    const problem = (id: string) => ({ id, participant: "dave", compiler: 1, objective: 1, visibility: 1, body: new TextEncoder().encode(id), created_at_ms: 1 });
    const storing = (object: string, id: string, fail?: Error): SignedCall<string> => ({
      ...call("dave", object),
      sideBySide: true,
      handle: async (ctx) => {
        const created = await insertBatched(ctx.db, "problems", problem(id));
        if (fail) throw fail;
        await ctx.audit("test.store", object);
        return `${id} ${created ? "new" : "known"}`;
      },
    });
    const blocker = group.submit(call("dave", "side-blocker"));
    const answers = await Promise.allSettled([
      group.submit(storing("s-0", "p-same")),
      group.submit(storing("s-1", "p-same")),
      group.submit(storing("s-2", "p-other")),
      group.submit(storing("s-3", "p-bad", new OpmError("invalid_argument", "field `y`: no"))),
    ]);
    await blocker;
    expect(answers.map((a) => (a.status === "fulfilled" ? a.value : (a.reason as OpmError).code)))
      .toEqual(["p-same new", "p-same known", "p-other new", "invalid_argument"]);
    const ids = (await database.db.selectFrom("problems").select("id").where("participant", "=", "dave").orderBy("id").execute()).map((r) => r.id);
    expect(ids).toEqual(["p-other", "p-same"]);
    expect(await audited("s-3")).toBe(0);
  });

  it("refuses a repeated nonce and answers a repeated idempotency key from the first call, even within one burst", async () => {
    const group = new CommitGroup(database.db, { lanes: 2, maxBatch: 64 });
    const runs: string[] = [];
    const sameNonce = await Promise.allSettled([
      group.submit(call("carol", "n-first", { nonce: "ab".repeat(16) })),
      group.submit(call("carol", "n-second", { nonce: "ab".repeat(16) })),
    ]);
    expect(sameNonce.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    expect(sameNonce.find((o) => o.status === "rejected")).toMatchObject({ reason: { code: "nonce_replayed" } });

    const first = call("carol", "k-first", { key: "retry-key-1", runs });
    const retry = { ...call("carol", "k-first", { key: "retry-key-1", runs }) };
    const answers = await Promise.all([group.submit(first), group.submit(retry)]);
    expect(answers).toEqual(["done k-first", "done k-first"]);
    expect(runs).toEqual(["k-first"]);

    const misuse = call("carol", "k-other", { key: "retry-key-1" });
    await expect(group.submit(misuse)).rejects.toMatchObject({ code: "failed_precondition" });
  });
});

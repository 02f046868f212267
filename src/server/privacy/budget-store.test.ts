import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabases } from "../../../test/support/databases.js";
import { isOpmError } from "../../kernel/errors/index.js";
import { laplaceForEpsilon, parseAmount, rational, type BudgetTerms, type RandomSource } from "../../privacy/index.js";
import { seededRandomSource } from "../../privacy/seeded-random-source.js";
import { createCallContext, type CallContext } from "../rpc/index.js";
import { openDatabase, type OpenDatabase } from "../storage/index.js";
import { chargeAndRelease, type ReleaseRequest } from "./budget-store.js";
import { listCharges, listReleases, readPrivacyBudget, readRelease } from "./privacy-repository.js";

const FAMILY = "llvm/ir-instcount";
const TERMS: BudgetTerms = { accountant: "pure-dp", total: parseAmount("1") };
// Improvement in basis points, clamped to [0, 100]: sensitivity 100.
const CLAMP = { min: 0n, max: 100n };
const epsilon = (e: string) => laplaceForEpsilon(100n, rational(parseAmount(e), 1_000_000_000n));

describe.each(testDatabases())("privacy budget store on $kind", (database) => {
  let open: OpenDatabase;
  let clock = 1_000;

  beforeAll(async () => {
    const url = await database.create();
    open = await openDatabase(url === undefined ? { ephemeral: true } : { url });
  }, 120_000);
  afterAll(async () => open?.close());

  const ctx = (actor = "registry"): CallContext => createCallContext(open.db, {
    actor, certificateFingerprint: "AA", method: "/test/Release", correlationId: `c-${clock}`, requestDigest: "d", now: clock++,
  });
  const request = (participant: string, subject: string, eps: string, extra: Partial<ReleaseRequest> = {}): ReleaseRequest => ({
    participant, family: FAMILY, subject, quantity: "improvement_bp", value: 42n, clamp: CLAMP, mechanism: epsilon(eps), terms: TERMS, ...extra,
  });
  /** Everything a release could change, to compare before and after. */
  const snapshot = async () => ({
    budgets: await open.db.selectFrom("privacy_budgets").selectAll().orderBy("participant").orderBy("family").execute(),
    charges: await open.db.selectFrom("privacy_charges").selectAll().orderBy("sequence").execute(),
    releases: await open.db.selectFrom("privacy_releases").selectAll().orderBy("subject").execute(),
    audit: await open.db.selectFrom("audit_events").selectAll().orderBy("sequence").execute(),
  });
  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err, "expected a refusal").toBeDefined();
    return err as Error;
  };

  it("releases within the budget, charges it, stores the charge and audits it", async () => {
    const out = await chargeAndRelease(ctx("alice-orchestrator"), request("alice", "sig-1", "0.25"), seededRandomSource("one"));
    expect(out.charged).toBe(true);
    expect(out.budget).toEqual({ participant: "alice", family: FAMILY, accountant: "pure-dp", total: parseAmount("1"), spent: parseAmount("0.25") });
    expect(out.release).toMatchObject({ subject: "sig-1", quantity: "improvement_bp", participant: "alice", cost: parseAmount("0.25"), releasedBy: "alice-orchestrator" });
    expect(out.release.mechanism).toEqual({ kind: "discrete-laplace", scale: rational(400n) });
    expect(await readPrivacyBudget(open.db, { participant: "alice", family: FAMILY })).toEqual(out.budget);
    expect(await readRelease(open.db, "sig-1", "improvement_bp")).toEqual(out.release);
    const charges = await listCharges(open.db, { participant: "alice", family: FAMILY });
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ amount: parseAmount("0.25"), spentAfter: parseAmount("0.25"), total: parseAmount("1"), subject: "sig-1", actor: "alice-orchestrator" });
    const audit = await open.db.selectFrom("audit_events").selectAll().where("action", "=", "privacy.release").execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.object).toBe("sig-1/improvement_bp");
    expect(audit[0]!.detail).toContain("charged ε 0.25 (pure-dp), spent 0.25 of 1");
    // The exact value (42) is stored nowhere: the release row holds the noised one only.
    expect(Object.keys((await snapshot()).releases[0]!)).not.toContain("exact");
  });

  it("serves a release again as stored, never re-sampled, charging nothing", async () => {
    const before = await snapshot();
    const first = (await readRelease(open.db, "sig-1", "improvement_bp"))!;
    // Another value, mechanism and source: none of it matters, the stored release is returned.
    const again = await chargeAndRelease(ctx(), request("alice", "sig-1", "0.5", { value: 99n }), seededRandomSource("other"));
    expect(again.charged).toBe(false);
    expect(again.release).toEqual(first);
    expect(again.budget.spent).toBe(parseAmount("0.25"));
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a release the budget cannot pay for with resource_exhausted, and changes nothing", async () => {
    const before = await snapshot();
    const err = await refusal(chargeAndRelease(ctx(), request("alice", "sig-2", "0.8")));
    expect(isOpmError(err, "resource_exhausted")).toBe(true);
    expect(err.message).toBe(
      'privacy budget of participant "alice" for family "llvm/ir-instcount" (pure-dp) cannot pay for the release of sig-2/improvement_bp: it costs ε 0.8, ε 0.75 of 1 remains',
    );
    expect(await snapshot()).toEqual(before);
    // A first charge bigger than a fresh budget: refused before the budget row exists.
    const fresh = await refusal(chargeAndRelease(ctx(), request("bob", "sig-b", "2")));
    expect(isOpmError(fresh, "resource_exhausted")).toBe(true);
    expect(await snapshot()).toEqual(before);
  });

  it("leaves nothing behind when a release fails half way, or cannot be paid under its accountant", async () => {
    const before = await snapshot();
    const broken: RandomSource = { uniformBelow: () => { throw new Error("entropy source failed"); } };
    expect((await refusal(chargeAndRelease(ctx(), request("alice", "sig-3", "0.1"), broken))).message).toBe("entropy source failed");
    const gaussian = await refusal(chargeAndRelease(ctx(), request("alice", "sig-3", "0.1", { mechanism: { kind: "discrete-gaussian", sigma2: rational(5000n) } })));
    expect(isOpmError(gaussian, "failed_precondition")).toBe(true);
    const otherAccountant = await refusal(chargeAndRelease(ctx(), request("alice", "sig-3", "0.1", { terms: { accountant: "zcdp", total: parseAmount("1") } })));
    expect(otherAccountant.message).toMatch(/kept by the pure-dp accountant, not zcdp/);
    expect(await snapshot()).toEqual(before);
  });

  it("runs inside a caller's transaction, which a refusal rolls back", async () => {
    const before = await snapshot();
    const err = await refusal(open.db.transaction().execute(async (tx) => {
      const inner = createCallContext(tx, { actor: "registry", certificateFingerprint: "AA", method: "/test/Two", correlationId: "tx", requestDigest: "d", now: clock++ });
      await chargeAndRelease(inner, request("alice", "sig-4", "0.5")); // fits: 0.75 spent
      await chargeAndRelease(inner, request("alice", "sig-5", "0.5")); // does not: the call fails
    }));
    expect(isOpmError(err, "resource_exhausted")).toBe(true);
    expect(await snapshot()).toEqual(before);
  });

  it("never lets two concurrent releases that together exceed the budget both succeed", async () => {
    // carol: 0.5 remains after a first release; two concurrent 0.3 releases: exactly one is made.
    await chargeAndRelease(ctx(), request("carol", "c-0", "0.5"));
    const pair = await Promise.allSettled([chargeAndRelease(ctx(), request("carol", "c-1", "0.3")), chargeAndRelease(ctx(), request("carol", "c-2", "0.3"))]);
    expect(pair.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = pair.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(rejected.map((r) => isOpmError(r.reason, "resource_exhausted"))).toEqual([true]);
    expect((await readPrivacyBudget(open.db, { participant: "carol", family: FAMILY }))!.spent).toBe(parseAmount("0.8"));
    expect(await listReleases(open.db, { participant: "carol" })).toHaveLength(2);
  });

  it("serialises many concurrent releases on one budget: exactly what fits is charged", async () => {
    await chargeAndRelease(ctx(), request("dave", "d-0", "0.1"));
    const key = { participant: "dave", family: FAMILY };
    const fire = () => Array.from({ length: 8 }, (_, i) => chargeAndRelease(ctx(), request("dave", `d-${i + 1}`, "0.3")));
    let results: PromiseSettledResult<unknown>[];
    if (open.kind === "postgres") {
      // Hold the budget's row lock until all eight are queued behind it, so they truly race.
      let pending: Promise<unknown>[] = [];
      await open.db.transaction().execute(async (tx) => {
        await tx.selectFrom("privacy_budgets").select("spent").where("participant", "=", "dave").forUpdate().execute();
        pending = fire();
        for (let waited = 0; ; waited += 20) {
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'`.execute(open.db);
          if (rows[0]!.n >= 8) break;
          if (waited > 20_000) throw new Error(`only ${rows[0]!.n} of 8 releases waiting on the budget lock`);
          await new Promise((r) => setTimeout(r, 20));
        }
      });
      results = await Promise.allSettled(pending);
    } else {
      results = await Promise.allSettled(fire());
    }
    // 0.1 + 3 × 0.3 = 1.0 exactly: three are made, five refused, and the sum is exact.
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    expect(results.filter((r) => r.status === "rejected" && isOpmError(r.reason, "resource_exhausted"))).toHaveLength(5);
    expect((await readPrivacyBudget(open.db, key))!.spent).toBe(parseAmount("1"));
    const charges = await listCharges(open.db, key);
    expect(charges.map((c) => c.spentAfter)).toEqual(["0.1", "0.4", "0.7", "1"].map((s) => parseAmount(s)));
    expect(await listReleases(open.db, key)).toHaveLength(4);
  });

  it("makes a release once under concurrent requests for it: one charge, one value for all", async () => {
    const results = await Promise.all(Array.from({ length: 4 }, () => chargeAndRelease(ctx(), request("erin", "e-1", "0.2"))));
    expect(results.filter((r) => r.charged)).toHaveLength(1);
    expect(new Set(results.map((r) => r.release.value)).size).toBe(1);
    expect(await listCharges(open.db, { participant: "erin", family: FAMILY })).toHaveLength(1);
    expect((await readPrivacyBudget(open.db, { participant: "erin", family: FAMILY }))!.spent).toBe(parseAmount("0.2"));
  });

  it("starts a budget over when its refresh period has passed (an injected clock, no waiting)", async () => {
    const DAY = 86_400_000;
    const t0 = Date.UTC(2027, 0, 1);
    const at = (now: number): CallContext => createCallContext(open.db, {
      actor: "registry", certificateFingerprint: "AA", method: "/test/Refresh", correlationId: `r-${now}`, requestDigest: "d", now,
    });
    const key = { participant: "gina", family: FAMILY };
    // The refresh period holding `now` under a daily policy (as `periodStartOf` computes it).
    const daily = (now: number, subject: string) => request("gina", subject, "0.5", { periodStartMs: now - (now % DAY) });
    await chargeAndRelease(at(t0 + 1_000), daily(t0 + 1_000, "g-1"));
    await chargeAndRelease(at(t0 + 2_000), daily(t0 + 2_000, "g-2"));
    const full = await refusal(chargeAndRelease(at(t0 + DAY - 1), daily(t0 + DAY - 1, "g-3")));
    expect(full.message).toContain("ε 0 of 1 remains");
    expect((await readPrivacyBudget(open.db, key, t0))!.spent).toBe(parseAmount("1"));
    // The next day: spending starts over (reading and charging agree), the earlier charges stay recorded.
    expect((await readPrivacyBudget(open.db, key, t0 + DAY))!.spent).toBe(0n);
    const next = await chargeAndRelease(at(t0 + DAY), daily(t0 + DAY, "g-3"));
    expect([next.charged, next.budget.spent]).toEqual([true, parseAmount("0.5")]);
    expect((await listCharges(open.db, key)).map((c) => c.spentAfter)).toEqual(["0.5", "1", "0.5"].map((e) => parseAmount(e)));
    expect((await readPrivacyBudget(open.db, key, t0 + DAY))!.spent).toBe(parseAmount("0.5"));
    // Within the same day, no second refresh; without a period, none ever.
    const sameDay = await refusal(chargeAndRelease(at(t0 + DAY + 5), { ...daily(t0 + DAY + 5, "g-4"), mechanism: epsilon("0.75") }));
    expect(sameDay.message).toContain("ε 0.5 of 1 remains");
    await chargeAndRelease(at(t0 + 2 * DAY + 1), daily(t0 + 2 * DAY + 1, "g-4"));
    expect((await refusal(chargeAndRelease(at(t0 + 9 * DAY), request("gina", "g-5", "0.75")))).message).toContain("ε 0.5 of 1 remains");
  });

  it("keeps zCDP budgets in ρ, and refuses a release key reused for another budget", async () => {
    const out = await chargeAndRelease(ctx(), request("frank", "f-1", "0.1", {
      mechanism: { kind: "discrete-gaussian", sigma2: rational(5000n) }, terms: { accountant: "zcdp", total: parseAmount("2") },
    }));
    expect(out.release.cost).toBe(parseAmount("1")); // ρ = 100²/(2·5000)
    expect(out.budget).toMatchObject({ accountant: "zcdp", spent: parseAmount("1") });
    expect((await readRelease(open.db, "f-1", "improvement_bp"))!.mechanism).toEqual({ kind: "discrete-gaussian", sigma2: rational(5000n) });
    const clash = await refusal(chargeAndRelease(ctx(), request("alice", "f-1", "0.1")));
    expect(isOpmError(clash, "failed_precondition")).toBe(true);
    expect(clash.message).toMatch(/was released for participant "frank"/);
  });
});

import type { Kysely } from "kysely";
import { OpmError } from "../../kernel/errors/index.js";
import {
  budgetName, costOf, cryptoRandomSource, describeMechanism, formatAmount, measureOf, noisedValue, requireCharge, requireFamily, sensitivityOf,
  type BudgetTerms, type ClampRange, type NoiseMechanism, type PrivacyBudget, type PrivacyBudgetKey, type RandomSource,
} from "../../privacy/index.js";
import { createCallContext, type CallContext } from "../rpc/index.js";
import type { Database } from "../storage/index.js";
import { budgetFromRow, mechanismColumns, readPrivacyBudget, readRelease, spentInPeriod, type PrivacyRelease } from "./privacy-repository.js";

/** One quantity to release, charged to its owner's budget for its problem family. */
export interface ReleaseRequest extends PrivacyBudgetKey {
  /** What the quantity is of: a signal id, a problem id… With `quantity`, the release's key. */
  subject: string;
  /** Which quantity, with its unit: `improvement_bp`… */
  quantity: string;
  /** The exact value. Clamped and noised; never stored. */
  value: bigint;
  /** The range the value is clamped to; its width is the sensitivity. */
  clamp: ClampRange;
  mechanism: NoiseMechanism;
  /** The budget in effect (from policy): its accountant and total. */
  terms: BudgetTerms;
  /**
   * The start of the policy's current refresh period (ms): a budget last charged before it
   * starts over at zero spent. Absent: never refreshed.
   */
  periodStartMs?: number;
}

/** What `chargeAndRelease` did: the release (new or stored), whether it was charged now, and the budget after. */
export interface ReleaseOutcome {
  release: PrivacyRelease;
  charged: boolean;
  budget: PrivacyBudget;
}

/**
 * Releases a quantity once: if (subject, quantity) was released already, returns the stored
 * release and charges nothing (post-processing is free; it is never re-sampled). Otherwise, in
 * ONE transaction: locks the budget row (`SELECT … FOR UPDATE`, so concurrent charges to one
 * budget run one after the other and each sees the spending of those before it), charges the
 * mechanism's cost for the clamp range's sensitivity — refused with RESOURCE_EXHAUSTED naming
 * the budget and what remains if it would exceed the total —, samples the noise, and stores
 * the charge, the release, the new spending and an audit event together.
 * A refused or failed release writes nothing. Runs in `ctx.db` if it is a transaction (the
 * caller commits or rolls back), else in a transaction of its own. `source` is for tests.
 */
export async function chargeAndRelease(ctx: CallContext, request: ReleaseRequest, source: RandomSource = cryptoRandomSource): Promise<ReleaseOutcome> {
  requireFamily(request.family, "release.family");
  if (request.subject === "" || request.quantity === "") throw new OpmError("invalid_argument", "a release needs a subject and a quantity", { field: "release.subject" });
  if (request.terms.total < 0n) throw new OpmError("invalid_argument", `budget total ${request.terms.total} < 0`);
  // Pure checks first: a mechanism the accountant cannot pay for fails before any I/O.
  const cost = costOf(request.mechanism, sensitivityOf(request.clamp), request.terms.accountant);

  const stored = await storedRelease(ctx.db, request);
  if (stored !== undefined) return stored;
  if (ctx.db.isTransaction) return chargeLocked(ctx, request, cost, source);
  const { db, audit: _audit, afterCommit: _afterCommit, ...fields } = ctx;
  return db.transaction().execute((tx) => chargeLocked(createCallContext(tx, fields), request, cost, source));
}

async function chargeLocked(ctx: CallContext, request: ReleaseRequest, cost: bigint, source: RandomSource): Promise<ReleaseOutcome> {
  const what = `the release of ${request.subject}/${request.quantity}`;
  let row = await lockBudget(ctx.db, request);
  if (row === undefined) {
    // A first charge: judged against an empty budget before the row exists, so a refusal writes nothing.
    requireCharge({ ...keyOf(request), ...request.terms, spent: 0n }, cost, what);
    await ctx.db.insertInto("privacy_budgets").values({
      participant: request.participant, family: request.family, accountant: request.terms.accountant,
      total: request.terms.total.toString(), spent: "0", created_at_ms: ctx.now, updated_at_ms: ctx.now,
    }).onConflict((oc) => oc.columns(["participant", "family"]).doNothing()).execute();
    row = await lockBudget(ctx.db, request);
    if (row === undefined) throw new OpmError("internal", `${budgetName(request)}: not found right after its insert`);
  }
  // Under the lock: a concurrent request for the same release may have made it meanwhile.
  const stored = await storedRelease(ctx.db, request);
  if (stored !== undefined) return stored;
  if (row.accountant !== request.terms.accountant) {
    throw new OpmError("failed_precondition", `${budgetName(request)} is kept by the ${row.accountant} accountant, not ${request.terms.accountant}`);
  }
  const { updatedAtMs, ...kept } = row;
  // A new refresh period starts the budget over; the charges of earlier periods stay recorded.
  const budget: PrivacyBudget = { ...kept, total: request.terms.total, spent: spentInPeriod(kept.spent, updatedAtMs, request.periodStartMs) };
  const { spentAfter } = requireCharge(budget, cost, what);

  const value = noisedValue(request.value, request.clamp, request.mechanism, source);
  const charge = await ctx.db.insertInto("privacy_charges").values({
    participant: request.participant, family: request.family, accountant: budget.accountant, amount: cost.toString(),
    spent_after: spentAfter.toString(), total: budget.total.toString(), subject: request.subject, quantity: request.quantity,
    actor: ctx.actor, charged_at_ms: ctx.now,
  }).returning("sequence").executeTakeFirstOrThrow();
  const release: PrivacyRelease = {
    subject: request.subject, quantity: request.quantity, participant: request.participant, family: request.family,
    value, clamp: request.clamp, mechanism: request.mechanism, accountant: budget.accountant, cost,
    chargeSequence: Number(charge.sequence), releasedBy: ctx.actor, releasedAtMs: ctx.now,
  };
  await ctx.db.insertInto("privacy_releases").values({
    subject: release.subject, quantity: release.quantity, participant: release.participant, family: release.family,
    value: value.toString(), clamp_min: request.clamp.min.toString(), clamp_max: request.clamp.max.toString(),
    ...mechanismColumns(request.mechanism), accountant: budget.accountant, cost: cost.toString(),
    charge_sequence: release.chargeSequence, released_by: ctx.actor, released_at_ms: ctx.now,
  }).execute();
  await ctx.db.updateTable("privacy_budgets")
    .set({ spent: spentAfter.toString(), total: budget.total.toString(), updated_at_ms: ctx.now })
    .where("participant", "=", request.participant).where("family", "=", request.family).execute();
  const m = measureOf(budget.accountant);
  await ctx.audit("privacy.release", `${request.subject}/${request.quantity}`, [
    `participant ${request.participant} family ${request.family}`, describeMechanism(request.mechanism),
    `charged ${m} ${formatAmount(cost)} (${budget.accountant}), spent ${formatAmount(spentAfter)} of ${formatAmount(budget.total)}`,
  ].join("; "));
  return { release, charged: true, budget: { ...budget, spent: spentAfter } };
}

/** The budget row, locked until the transaction ends; undefined if there is none yet. */
async function lockBudget(db: Kysely<Database>, key: PrivacyBudgetKey): Promise<(PrivacyBudget & { updatedAtMs: number }) | undefined> {
  const row = await db.selectFrom("privacy_budgets").selectAll()
    .where("participant", "=", key.participant).where("family", "=", key.family).forUpdate().executeTakeFirst();
  return row === undefined ? undefined : { ...budgetFromRow(row), updatedAtMs: Number(row.updated_at_ms) };
}

/** The stored release for the request with the budget as it stands, or undefined; refuses one made for another budget. */
async function storedRelease(db: Kysely<Database>, request: ReleaseRequest): Promise<ReleaseOutcome | undefined> {
  const release = await readRelease(db, request.subject, request.quantity);
  if (release === undefined) return undefined;
  if (release.participant !== request.participant || release.family !== request.family) {
    throw new OpmError("failed_precondition",
      `${request.subject}/${request.quantity} was released for participant ${JSON.stringify(release.participant)} family ${JSON.stringify(release.family)}, not ${JSON.stringify(request.participant)} ${JSON.stringify(request.family)}`);
  }
  const budget = await readPrivacyBudget(db, request, request.periodStartMs);
  if (budget === undefined) throw new OpmError("internal", `${budgetName(request)}: missing, yet it paid for ${request.subject}/${request.quantity}`);
  return { release, charged: false, budget };
}

function keyOf(k: PrivacyBudgetKey): PrivacyBudgetKey {
  return { participant: k.participant, family: k.family };
}

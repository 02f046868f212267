import type { Kysely, Selectable } from "kysely";
import { OpmError } from "../../kernel/errors/index.js";
import {
  formatRational, parseAccountant, parseRational,
  type AccountantKind, type ClampRange, type NoiseMechanism, type PrivacyAmount, type PrivacyBudget, type PrivacyBudgetKey,
} from "../../privacy/index.js";
import type { Database } from "../storage/index.js";

/** A release as stored: what everyone but the owner may see of the quantity. */
export interface PrivacyRelease {
  subject: string;
  quantity: string;
  participant: string;
  family: string;
  /** The clamped, noised value. */
  value: bigint;
  clamp: ClampRange;
  mechanism: NoiseMechanism;
  accountant: AccountantKind;
  /** What it cost, in privacy units (10⁻⁹ ε or ρ). */
  cost: PrivacyAmount;
  chargeSequence: number;
  releasedBy: string;
  releasedAtMs: number;
}

/** One stored charge to a budget. */
export interface PrivacyCharge extends PrivacyBudgetKey {
  sequence: number;
  accountant: AccountantKind;
  amount: PrivacyAmount;
  spentAfter: PrivacyAmount;
  total: PrivacyAmount;
  subject: string;
  quantity: string;
  actor: string;
  chargedAtMs: number;
}

/**
 * The budget of `key` as stored, or undefined if nothing was ever charged to it. With
 * `periodStartMs` (the start of the policy's current refresh period), a budget last charged
 * before the period started reads as nothing spent (`spentInPeriod`).
 */
export async function readPrivacyBudget(db: Kysely<Database>, key: PrivacyBudgetKey, periodStartMs?: number): Promise<PrivacyBudget | undefined> {
  const row = await db.selectFrom("privacy_budgets").selectAll()
    .where("participant", "=", key.participant).where("family", "=", key.family).executeTakeFirst();
  if (row === undefined) return undefined;
  const budget = budgetFromRow(row);
  return { ...budget, spent: spentInPeriod(budget.spent, Number(row.updated_at_ms), periodStartMs) };
}

/**
 * What counts as spent in the refresh period starting at `periodStartMs`: `spent`, or
 * nothing when the budget was last charged (`lastChargedAtMs`) before the period began.
 * Without a period (undefined or 0) spending never starts over.
 */
export function spentInPeriod(spent: bigint, lastChargedAtMs: number, periodStartMs: number | undefined): bigint {
  return periodStartMs !== undefined && periodStartMs > 0 && lastChargedAtMs < periodStartMs ? 0n : spent;
}

/** The release of (subject, quantity), or undefined if none was made. */
export async function readRelease(db: Kysely<Database>, subject: string, quantity: string): Promise<PrivacyRelease | undefined> {
  const row = await db.selectFrom("privacy_releases").selectAll()
    .where("subject", "=", subject).where("quantity", "=", quantity).executeTakeFirst();
  return row === undefined ? undefined : releaseFromRow(row);
}

/** Releases, oldest first, optionally of one participant, family or subject. */
export async function listReleases(db: Kysely<Database>, filter: { participant?: string; family?: string; subject?: string } = {}): Promise<PrivacyRelease[]> {
  let query = db.selectFrom("privacy_releases").selectAll();
  if (filter.participant !== undefined) query = query.where("participant", "=", filter.participant);
  if (filter.family !== undefined) query = query.where("family", "=", filter.family);
  if (filter.subject !== undefined) query = query.where("subject", "=", filter.subject);
  const rows = await query.orderBy("charge_sequence").execute();
  return rows.map(releaseFromRow);
}

/** Every charge to the budget of `key`, in order. */
export async function listCharges(db: Kysely<Database>, key: PrivacyBudgetKey): Promise<PrivacyCharge[]> {
  const rows = await db.selectFrom("privacy_charges").selectAll()
    .where("participant", "=", key.participant).where("family", "=", key.family).orderBy("sequence").execute();
  return rows.map((r) => ({
    participant: r.participant, family: r.family, sequence: Number(r.sequence), accountant: parseAccountant(r.accountant),
    amount: BigInt(r.amount), spentAfter: BigInt(r.spent_after), total: BigInt(r.total),
    subject: r.subject, quantity: r.quantity, actor: r.actor, chargedAtMs: Number(r.charged_at_ms),
  }));
}

/** A budget row as the domain type. */
export function budgetFromRow(row: Selectable<Database["privacy_budgets"]>): PrivacyBudget {
  return {
    participant: row.participant, family: row.family, accountant: parseAccountant(row.accountant),
    total: BigInt(row.total), spent: BigInt(row.spent),
  };
}

/** A release row as the domain type. */
export function releaseFromRow(row: Selectable<Database["privacy_releases"]>): PrivacyRelease {
  return {
    subject: row.subject, quantity: row.quantity, participant: row.participant, family: row.family,
    value: BigInt(row.value), clamp: { min: BigInt(row.clamp_min), max: BigInt(row.clamp_max) },
    mechanism: mechanismFromColumns(row.mechanism, row.mechanism_parameter),
    accountant: parseAccountant(row.accountant), cost: BigInt(row.cost), chargeSequence: Number(row.charge_sequence),
    releasedBy: row.released_by, releasedAtMs: Number(row.released_at_ms),
  };
}

/** The (mechanism, mechanism_parameter) columns of a mechanism. */
export function mechanismColumns(m: NoiseMechanism): { mechanism: string; mechanism_parameter: string } {
  return { mechanism: m.kind, mechanism_parameter: formatRational(m.kind === "discrete-laplace" ? m.scale : m.sigma2) };
}

function mechanismFromColumns(kind: string, parameter: string): NoiseMechanism {
  const value = parseRational(parameter, "privacy_releases.mechanism_parameter");
  if (kind === "discrete-laplace") return { kind, scale: value };
  if (kind === "discrete-gaussian") return { kind, sigma2: value };
  throw new OpmError("internal", `privacy_releases.mechanism: unknown mechanism ${JSON.stringify(kind)}`);
}

import { OpmError } from "../../kernel/errors/index.js";
import { PrivacyAccountant, type PrivacyPolicyUpdate } from "../../gen/openpassmarket/v1/ledger_pb.js";
import type { GovernanceState } from "../../ledger/index.js";
import {
  amountCeil, amountFloor, amountToRational, formatAmount, gaussianForRho, laplaceForEpsilon, measureOf, rational, sensitivityOf, zcdpForApproxDp,
  type AccountantKind, type ClampRange, type NoiseMechanism, type PrivacyAmount, type Rational,
} from "../../privacy/index.js";

/** The quantity every release is of: the improvement over the baseline in basis points. */
export const IMPROVEMENT_BP = "improvement-bp";

/**
 * What a budget and each release follow, as the newest committed `privacy-policy` ledger
 * entry for the family (or `*`) says, or the built-in default.
 */
export interface ReleasePolicy {
  /** `ledger entry 7 (policy strict v2)` or `built-in default`. */
  source: string;
  /** The policy's ledger entry index; undefined for the built-in default. */
  entryIndex?: bigint;
  accountant: AccountantKind;
  /** The budget's total, in privacy units (ε, or ρ under zCDP converted from (ε, δ)). */
  total: PrivacyAmount;
  /** The cost of one release in privacy units (ε or ρ). */
  releaseCost: PrivacyAmount;
  quantity: string;
  clamp: ClampRange;
  /** Budgets start over every period of this many ms; 0: never. */
  refreshPeriodMs: number;
}

/**
 * The built-in default while no policy is approved: conservative. Pure ε-DP, a total of
 * ε = 1 per participant and problem family, ε = 0.25 per release (four releases), the
 * improvement clamped to [0, 5000] bp (0–50 %), so each release carries discrete Laplace
 * noise of scale 5000/0.25 = 20000 bp. Never refreshed.
 */
export const DEFAULT_RELEASE_POLICY: ReleasePolicy = {
  source: "built-in default",
  accountant: "pure-dp",
  total: 1_000_000_000n,
  releaseCost: 250_000_000n,
  quantity: IMPROVEMENT_BP,
  clamp: { min: 0n, max: 5000n },
  refreshPeriodMs: 0,
};

/** `pure-dp ε 1 per family, ε 0.25 per release, improvement-bp clamped to [0, 5000]`: for logs and replies. */
export function describePolicy(p: ReleasePolicy): string {
  const m = measureOf(p.accountant);
  return `${p.source}: ${p.accountant} ${m} ${formatAmount(p.total)} per participant and family, ${m} ${formatAmount(p.releaseCost)} per release, ${p.quantity} clamped to [${p.clamp.min}, ${p.clamp.max}]${p.refreshPeriodMs > 0 ? `, refreshed every ${p.refreshPeriodMs} ms` : ""}`;
}

/**
 * The policy in effect for `family` in `state`: the newest committed (highest entry index)
 * policy whose family is `family` or `*`; the built-in default when there is none.
 */
export function releasePolicyFor(state: GovernanceState, family: string): ReleasePolicy {
  let newest: { update: PrivacyPolicyUpdate; index: bigint } | undefined;
  for (const [id, update] of state.policies) {
    if (update.family !== family && update.family !== "*") continue;
    const index = state.policyEntries.get(id) ?? -1n;
    if (newest === undefined || index > newest.index) newest = { update, index };
  }
  return newest === undefined ? DEFAULT_RELEASE_POLICY : policyFromUpdate(newest.update, newest.index);
}

/** A ledger policy as a `ReleasePolicy`; unset release fields take the default's. */
export function policyFromUpdate(u: PrivacyPolicyUpdate, entryIndex: bigint): ReleasePolicy {
  const source = `ledger entry ${entryIndex} (policy ${u.policyId} v${u.version})`;
  const epsilon = decimalRational(u.totalEpsilon, "total_epsilon");
  let accountant: AccountantKind, total: PrivacyAmount;
  if (u.accountant === PrivacyAccountant.PURE) {
    accountant = "pure-dp";
    total = amountFloor(epsilon);
  } else if (u.accountant === PrivacyAccountant.ZCDP) {
    accountant = "zcdp";
    const delta = decimalRational(u.totalDelta === "" ? "0" : u.totalDelta, "total_delta");
    if (delta.num === 0n) throw new OpmError("failed_precondition", `${source}: a zcdp policy needs total_delta > 0 to convert (ε, δ) to ρ`);
    total = zcdpForApproxDp(amountFloor(epsilon), delta);
  } else {
    throw new OpmError("failed_precondition", `${source}: accountant ${PrivacyAccountant[u.accountant]} is not enforced by this registry (PURE or ZCDP)`);
  }
  const defaultCost = accountant === "pure-dp" ? DEFAULT_RELEASE_POLICY.releaseCost : amountCeil(rational(DEFAULT_RELEASE_POLICY.releaseCost ** 2n, 2n * 1_000_000_000n ** 2n));
  const clamp = u.clampMin === 0n && u.clampMax === 0n ? DEFAULT_RELEASE_POLICY.clamp : { min: u.clampMin, max: u.clampMax };
  return {
    source, entryIndex, accountant, total,
    releaseCost: u.releaseCost === "" ? defaultCost : amountCeil(decimalRational(u.releaseCost, "release_cost")),
    quantity: u.quantity === "" ? IMPROVEMENT_BP : u.quantity, clamp, refreshPeriodMs: Number(u.refreshPeriodMs),
  };
}

/** The mechanism whose cost for the clamp range is the policy's release cost: discrete Laplace (pure DP) or Gaussian (zCDP). */
export function mechanismOf(p: ReleasePolicy): NoiseMechanism {
  const cost = amountToRational(p.releaseCost);
  return p.accountant === "pure-dp" ? laplaceForEpsilon(sensitivityOf(p.clamp), cost) : gaussianForRho(sensitivityOf(p.clamp), cost);
}

/** The start of the refresh period holding `nowMs` (0 when the policy never refreshes). */
export function periodStartOf(p: ReleasePolicy, nowMs: number): number {
  return p.refreshPeriodMs > 0 ? nowMs - (nowMs % p.refreshPeriodMs) : 0;
}

/** `1.5`, `1e-9`, `25E-2` exactly (the ledger's decimal strings). */
function decimalRational(text: string, field: string): Rational {
  const m = /^(\d+)(?:\.(\d+))?(?:[eE](-?\d+))?$/.exec(text);
  if (m === null) throw new OpmError("failed_precondition", `privacy policy field \`${field}\`: ${JSON.stringify(text)} is not a decimal`);
  const frac = m[2] ?? "";
  const exp = Number(m[3] ?? "0") - frac.length;
  const digits = BigInt(m[1]! + frac);
  return exp >= 0 ? rational(digits * 10n ** BigInt(exp), 1n) : rational(digits, 10n ** BigInt(-exp));
}

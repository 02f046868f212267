import { OpmError } from "../kernel/errors/index.js";
import { ceilDiv, rational, type Rational } from "./rational.js";

/**
 * Privacy amounts (ε under pure DP, ρ under zCDP) are integers counting nano-units:
 * `PRIVACY_UNITS` of them make 1. Sums are exact; a mechanism's exact rational cost is
 * rounded UP to the next unit (never under-charged, over-charged by < 10⁻⁹ per release).
 */
export type PrivacyAmount = bigint;

/** Units in 1 ε or 1 ρ. */
export const PRIVACY_UNITS = 1_000_000_000n;
const DIGITS = 9;

/** The amount equal to `r` rounded up to the next unit. */
export function amountCeil(r: Rational): PrivacyAmount {
  return ceilDiv(r.num * PRIVACY_UNITS, r.den);
}

/** The amount equal to `r` rounded down to a unit. */
export function amountFloor(r: Rational): PrivacyAmount {
  return (r.num * PRIVACY_UNITS) / r.den;
}

/** The exact rational value of `amount`. Requires amount >= 0. */
export function amountToRational(amount: PrivacyAmount): Rational {
  return rational(amount, PRIVACY_UNITS);
}

/** `"0.25"`, `"1"`, `"0.000000001"`: the exact decimal of `amount` (>= 0), trailing zeros dropped. */
export function formatAmount(amount: PrivacyAmount): string {
  if (amount < 0n) throw new OpmError("internal", `privacy amount ${amount} < 0`);
  const whole = amount / PRIVACY_UNITS;
  const frac = (amount % PRIVACY_UNITS).toString().padStart(DIGITS, "0").replace(/0+$/, "");
  return frac === "" ? `${whole}` : `${whole}.${frac}`;
}

/** Parses a decimal with at most 9 fractional digits (`"0.5"`, `"2"`) exactly. */
export function parseAmount(text: string, field = "amount"): PrivacyAmount {
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (m === null) throw new OpmError("invalid_argument", `field \`${field}\`: ${JSON.stringify(text)} is not a decimal >= 0 with at most ${DIGITS} fractional digits`, { field });
  return BigInt(m[1]!) * PRIVACY_UNITS + BigInt((m[2] ?? "").padEnd(DIGITS, "0"));
}

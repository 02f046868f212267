import { OpmError } from "../kernel/errors/index.js";
import { PRIVACY_UNITS, type PrivacyAmount } from "./privacy-amount.js";
import { ceilDiv, isqrt, isqrtCeil, type Rational } from "./rational.js";

/** Fixed-point scale of ln(1/δ): 40 decimal digits. */
const LN_SCALE = 10n ** 40n;

/**
 * ρ-zCDP implies (ε, δ)-DP for every δ in (0, 1) with ε = ρ + 2√(ρ·ln(1/δ))
 * (Bun and Steinke 2016, Proposition 1.3). Returns that ε rounded UP to a privacy unit
 * (the guarantee stated is never stronger than the true one). Requires ρ >= 0, 0 < δ < 1.
 */
export function approxDpOfZcdp(rho: PrivacyAmount, delta: Rational): PrivacyAmount {
  if (rho < 0n) throw new OpmError("invalid_argument", `ρ ${rho} units: requires >= 0`);
  const lnUpper = lnInverseUpper(delta);
  // 2√(ρ·L) in units = 2·√(ρ_units·UNITS·L_fixed·LN_SCALE)/LN_SCALE, rounded up.
  const root = ceilDiv(isqrtCeil(rho * PRIVACY_UNITS * lnUpper * LN_SCALE), LN_SCALE);
  return rho + 2n * root;
}

/**
 * The largest ρ (rounded DOWN to a unit) whose `approxDpOfZcdp` at δ is at most ε:
 * ρ = (√(ε + ln(1/δ)) − √ln(1/δ))². For a policy that states its budget as (ε, δ).
 * Requires ε >= 0, 0 < δ < 1.
 */
export function zcdpForApproxDp(epsilon: PrivacyAmount, delta: Rational): PrivacyAmount {
  if (epsilon < 0n) throw new OpmError("invalid_argument", `ε ${epsilon} units: requires >= 0`);
  const lnUpper = lnInverseUpper(delta); // a larger L gives a smaller ρ: conservative
  // Work in fixed point with scale S² = UNITS·LN_SCALE so both square roots share one scale S.
  const S2 = PRIVACY_UNITS * LN_SCALE;
  const sumLow = isqrt(epsilon * LN_SCALE + lnUpper * PRIVACY_UNITS); // √(ε + L)·S, rounded down
  const lnHigh = isqrtCeil(lnUpper * PRIVACY_UNITS); // √L·S, rounded up
  if (sumLow <= lnHigh) return 0n;
  const diff = sumLow - lnHigh;
  return (diff * diff * PRIVACY_UNITS) / S2;
}

/**
 * An upper bound on ln(1/δ)·10⁴⁰ for rational 0 < δ < 1, within 10⁻³⁰ of the true value.
 * ln x = k·ln 2 + 2·atanh((m − 1)/(m + 1)) with x = 2^k·m, m in [1, 2); the atanh series
 * is summed at 60 digits (each term's rounding error is below 10⁻⁶⁰) and a margin of
 * 10⁻³⁰ added, far more than those errors and the truncated tail (terms < 10⁻⁶⁰).
 */
export function lnInverseUpper(delta: Rational): bigint {
  if (delta.num <= 0n || delta.den <= delta.num) throw new OpmError("invalid_argument", `δ ${delta.num}/${delta.den}: requires 0 < δ < 1`);
  const work = 10n ** 60n;
  // x = den/num > 1; k = ⌊log2 x⌋ so that m = x/2^k is in [1, 2).
  let k = 0n;
  while (delta.num << (k + 1n) <= delta.den) k++;
  const mNum = delta.den;
  const mDen = delta.num << k;
  const ln2 = 2n * atanhFixed(1n, 3n, work);
  const lnM = 2n * atanhFixed(mNum - mDen, mNum + mDen, work);
  const value = k * ln2 + lnM + work / 10n ** 30n; // + margin
  return ceilDiv(value, work / LN_SCALE);
}

/** ⌊atanh(a/b)·scale⌋ approximately (error below terms·1 unit), for 0 <= a/b <= 1/3. */
function atanhFixed(a: bigint, b: bigint, scale: bigint): bigint {
  let power = (a * scale) / b; // (a/b)^(2j+1)·scale
  const square = a * a;
  const bSquare = b * b;
  let sum = 0n;
  for (let j = 1n; power > 0n; j += 2n) {
    sum += power / j;
    power = (power * square) / bSquare;
  }
  return sum;
}

/**
 * TESTS ONLY. Exact (60-digit fixed-point) probability mass functions of the discrete
 * Laplace and discrete Gaussian, as tables over a finite support outside of which the
 * mass is below 1e-30; converted to doubles only at the end, for the statistics.
 */
import type { Rational } from "../rational.js";

/** Fixed-point scale of the computation: 10^60. */
const S = 10n ** 60n;

/** A symmetric pmf tabulated on [-radius, radius]; `tail` is the mass outside (both sides). */
export interface PmfTable {
  radius: number;
  /** p[x + radius] for x in [-radius, radius]. */
  p: number[];
  tail: number;
  /** P[X = x] (0 outside the table, which holds all but `tail`). */
  at(x: number): number;
}

/** exp(−a/b)·S, for a >= 0, b > 0, within a few units. */
export function expNegFixed(a: bigint, b: bigint): bigint {
  // e^{−a/b} = (e^{−a/(b·m)})^m with a/(b·m) <= 1; Taylor for the small exponent.
  const m = a / b + 1n;
  const yNum = a;
  const yDen = b * m;
  let term = S;
  let sum = S;
  for (let k = 1n; term !== 0n; k++) {
    term = (term * yNum) / (yDen * k);
    sum += k % 2n === 1n ? -term : term;
  }
  let out = S;
  for (let i = 0n; i < m; i++) out = (out * sum) / S;
  return out;
}

const toNumber = (fixed: bigint): number => Number((fixed * 10n ** 20n) / S) / 1e20;

function table(radius: number, weights: bigint[], total: bigint, tailFixed: bigint): PmfTable {
  const p = weights.map((w) => toNumber((w * S) / total));
  return { radius, p, tail: toNumber(tailFixed), at: (x) => (Math.abs(x) <= radius ? p[x + radius]! : 0) };
}

/** Discrete Laplace with scale t = num/den: P[X = x] = (1 − q)/(1 + q)·q^|x|, q = e^{−1/t}. */
export function discreteLaplacePmf(scale: Rational): PmfTable {
  const q = expNegFixed(scale.den, scale.num);
  const weights: bigint[] = [];
  let w = ((S - q) * S) / (S + q); // P[0]
  let x = 0;
  const half: bigint[] = [];
  while (w * 10n ** 31n > S || x < 5) {
    half.push(w);
    w = (w * q) / S;
    x++;
  }
  const radius = half.length - 1;
  for (let i = radius; i >= 1; i--) weights.push(half[i]!);
  weights.push(...half);
  // Mass outside: 2·Σ_{x > radius} P[0]·q^x = 2·w/(1 − q) with w = P[radius + 1].
  const tail = (2n * w * S) / (S - q);
  return table(radius, weights, S, tail);
}

/** Discrete Gaussian with σ² = num/den: P[X = x] ∝ e^{−x²/(2σ²)}, normalised over the support. */
export function discreteGaussianPmf(sigma2: Rational): PmfTable {
  // w(x+1) = w(x)·e^{−(2x+1)/(2σ²)} = w(x)·c·d^x with c = e^{−1/(2σ²)}, d = e^{−1/σ²}.
  const c = expNegFixed(sigma2.den, 2n * sigma2.num);
  const d = expNegFixed(sigma2.den, sigma2.num);
  const half: bigint[] = [];
  let w = S;
  let ratio = c;
  while (w * 10n ** 32n > S || half.length < 5) {
    half.push(w);
    w = (w * ratio) / S;
    ratio = (ratio * d) / S;
  }
  const radius = half.length - 1;
  const weights: bigint[] = [];
  for (let i = radius; i >= 1; i--) weights.push(half[i]!);
  weights.push(...half);
  const total = weights.reduce((a, b) => a + b, 0n);
  // The tail beyond radius is below 2·w·Σ ratio^k < 2·w/(1 − ratio): tiny; bound it.
  const tail = (2n * w * S) / (S - ratio) / (total / S);
  return table(radius, weights, total, tail);
}

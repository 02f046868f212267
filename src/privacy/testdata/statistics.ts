/**
 * TESTS ONLY. The statistics behind the sampler tests, each with a stated false-failure
 * probability for a correct sampler.
 */
import type { PmfTable } from "./exact-pmf.js";

/**
 * P[χ²_k > x] for EVEN k, exactly: e^{−x/2}·Σ_{j<k/2} (x/2)^j/j! (the Poisson identity).
 * For odd k use k + 1: the survival function grows with k, so that bound is conservative.
 */
export function chiSquareSurvival(x: number, df: number): number {
  const k = df % 2 === 0 ? df : df + 1;
  let term = Math.exp(-x / 2);
  let sum = term;
  for (let j = 1; j < k / 2; j++) {
    term *= x / 2 / j;
    sum += term;
  }
  return Math.min(1, sum);
}

/** The x with P[χ²_df > x] = alpha (df rounded up to even, see above), by bisection. */
export function chiSquareCritical(df: number, alpha: number): number {
  let lo = 0;
  let hi = df + 10;
  while (chiSquareSurvival(hi, df) > alpha) hi *= 2;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (chiSquareSurvival(mid, df) > alpha) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** Pearson's statistic of `samples` against `pmf`, with adjacent values binned so every bin expects >= minExpected. */
export function pearsonChiSquare(samples: readonly number[], pmf: PmfTable, minExpected: number): { statistic: number; df: number; bins: number } {
  const n = samples.length;
  const counts = new Map<number, number>();
  for (const x of samples) counts.set(x, (counts.get(x) ?? 0) + 1);
  // Bins over [-radius, radius], left to right; the tails outside join the outer bins.
  const bins: Array<{ lo: number; hi: number; p: number }> = [];
  let current = { lo: -pmf.radius, hi: -pmf.radius, p: pmf.tail / 2 };
  for (let x = -pmf.radius; x <= pmf.radius; x++) {
    current.hi = x;
    current.p += pmf.at(x);
    if (current.p * n >= minExpected) {
      bins.push(current);
      current = { lo: x + 1, hi: x + 1, p: 0 };
    }
  }
  current.p += pmf.tail / 2;
  if (bins.length === 0) throw new Error("too few samples for one bin");
  const last = bins[bins.length - 1]!;
  last.hi = Number.POSITIVE_INFINITY;
  last.p += current.p;
  bins[0]!.lo = Number.NEGATIVE_INFINITY;
  let statistic = 0;
  for (const bin of bins) {
    let observed = 0;
    for (const [x, c] of counts) if (x >= bin.lo && x <= bin.hi) observed += c;
    const expected = bin.p * n;
    statistic += (observed - expected) ** 2 / expected;
  }
  return { statistic, df: bins.length - 1, bins: bins.length };
}

/**
 * Bernstein's inequality: for n i.i.d. variables with |Y − E Y| <= bound and variance v,
 * P[|mean − E Y| >= t] <= 2·exp(−n t²/(2(v + bound·t/3))). Returns the t at which that is alpha.
 */
export function bernsteinTolerance(n: number, variance: number, bound: number, alpha: number): number {
  const L = Math.log(2 / alpha);
  const b = (2 * L * bound) / 3;
  return (b + Math.sqrt(b * b + 8 * n * L * variance)) / (2 * n);
}

/** Moments of f(X) for X ~ pmf, over the table. */
export function expectation(pmf: PmfTable, f: (x: number) => number): number {
  let s = 0;
  for (let x = -pmf.radius; x <= pmf.radius; x++) s += pmf.at(x) * f(x);
  return s;
}

/** P[|X| > b] (the table's tail included). */
export function tailBeyond(pmf: PmfTable, b: number): number {
  let s = pmf.tail;
  for (let x = b + 1; x <= pmf.radius; x++) s += 2 * pmf.at(x);
  return s;
}

/**
 * TESTS ONLY. The statistical checks of a sampler against its exact pmf.
 *
 * False failures. Every statistical check is set so that a CORRECT sampler fails it with
 * probability at most ALPHA = 1e-9, and the privacy tests make fewer than 100 such checks
 * in all, so a run fails falsely with probability < 1e-7 by the union bound: ten times below
 * the 1e-6 asked for. That factor is the slack for the one approximate step — Pearson's
 * statistic is χ²-distributed only asymptotically — kept small by bins that each expect at
 * least MIN_EXPECTED = 2,000 samples. Everything else is rigorous:
 * - χ² critical values are exact (`chiSquareCritical`): for even df,
 *   P[χ²_df > x] = e^{−x/2}·Σ_{j<df/2}(x/2)^j/j!; an odd df uses df + 1 (conservative).
 *   At 1e-9: df 10 → 62.95, df 40 → 118.68, df 100 → 209.32 (statistics.test.ts checks
 *   them by numerical integration; Wilson–Hilferty gives 65.6, 119.8, 210.0).
 * - Means, second moments and tail frequencies use Bernstein's inequality on bounded
 *   variables: samples are truncated at the B with n·P[|X| > B] <= 1e-12 (from the exact
 *   pmf), and "a sample beyond B" is itself a check charged 1e-12.
 */
import { expect } from "vitest";
import type { PmfTable } from "./exact-pmf.js";
import { bernsteinTolerance, chiSquareCritical, expectation, pearsonChiSquare, tailBeyond } from "./statistics.js";

/** False-failure probability of one check. */
export const ALPHA = 1e-9;
/** Every χ² bin expects at least this many samples. */
export const MIN_EXPECTED = 2000;

/** `n` draws of `sample`, as numbers (the tests' values are far below 2^53). */
export function draw(n: number, sample: () => bigint): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Number(sample());
  return out;
}

/** The smallest B with n·P[|X| > B] <= 1e-12. */
function truncationPoint(pmf: PmfTable, n: number): number {
  let b = 0;
  while (n * tailBeyond(pmf, b) > 1e-12) b++;
  return b;
}

/**
 * Goodness of fit (Pearson χ²), mean (0: the pmfs are symmetric), second moment and the
 * frequencies of |X| > k for each k in `tails`, each at false-failure probability ALPHA.
 */
export function checkAgainstPmf(samples: readonly number[], pmf: PmfTable, tails: readonly number[]): void {
  const n = samples.length;
  const gof = pearsonChiSquare(samples, pmf, MIN_EXPECTED);
  const critical = chiSquareCritical(gof.df, ALPHA);
  expect(gof.bins).toBeGreaterThanOrEqual(2);
  expect(gof.statistic, `χ² = ${gof.statistic.toFixed(1)} with ${gof.df} df, critical ${critical.toFixed(1)}`).toBeLessThan(critical);

  const B = truncationPoint(pmf, n);
  expect(samples.every((x) => Math.abs(x) <= B), `a sample beyond B = ${B}`).toBe(true);
  // With every |X| <= B: the mean of X has |X − 0| <= B; X² lies in [0, B²].
  const second = expectation(pmf, (x) => x * x);
  const mean = samples.reduce((a, b) => a + b, 0) / n;
  const meanTol = bernsteinTolerance(n, second, B, ALPHA);
  expect(Math.abs(mean), `mean ${mean} vs 0 ± ${meanTol}`).toBeLessThan(meanTol);
  const fourth = expectation(pmf, (x) => x ** 4);
  const observed = samples.reduce((a, x) => a + x * x, 0) / n;
  const secondTol = bernsteinTolerance(n, fourth - second * second, B * B, ALPHA);
  expect(Math.abs(observed - second), `variance ${observed} vs ${second} ± ${secondTol}`).toBeLessThan(secondTol);
  for (const k of tails) {
    const p = tailBeyond(pmf, k);
    const freq = samples.filter((x) => Math.abs(x) > k).length / n;
    const tol = bernsteinTolerance(n, p * (1 - p), 1, ALPHA);
    expect(Math.abs(freq - p), `P[|X| > ${k}]: observed ${freq} vs ${p} ± ${tol}`).toBeLessThan(tol);
  }
}

import { describe, expect, it } from "vitest";
import { rational } from "../rational.js";
import { discreteGaussianPmf, discreteLaplacePmf, expNegFixed } from "./exact-pmf.js";
import { chiSquareCritical, chiSquareSurvival, expectation } from "./statistics.js";

/** P[χ²_k > x] by Simpson's rule on the density: an independent check of the closed form. */
function survivalByIntegration(x: number, k: number): number {
  const lgamma = (z: number): number => {
    // Lanczos (g = 7): ample for half-integers up to 60.
    const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
      12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
    z -= 1;
    let a = c[0]!;
    const t = z + 7.5;
    for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
    return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
  };
  const density = (y: number) => Math.exp((k / 2 - 1) * Math.log(y) - y / 2 - lgamma(k / 2) - (k / 2) * Math.LN2);
  const upper = x + 600;
  const steps = 200_000;
  const h = (upper - x) / steps;
  let s = density(x) + density(upper);
  for (let i = 1; i < steps; i++) s += (i % 2 === 1 ? 4 : 2) * density(x + i * h);
  return (s * h) / 3;
}

describe("the statistics the sampler tests rely on", () => {
  it("computes exact χ² tails for even df, conservative ones for odd df", () => {
    expect(chiSquareSurvival(2 * Math.log(1e9), 2)).toBeCloseTo(1e-9, 20); // df 2: e^{−x/2}
    for (const [df, expected] of [[10, 62.95], [40, 118.68], [100, 209.32]] as const) {
      const x = chiSquareCritical(df, 1e-9);
      expect(x).toBeCloseTo(expected, 1);
      expect(survivalByIntegration(x, df) / 1e-9).toBeCloseTo(1, 3);
      // Wilson–Hilferty, a different approximation, lands within 5 %.
      const z = 5.997807; // the normal's upper 1e-9 quantile
      const wh = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
      expect(Math.abs(x - wh) / x).toBeLessThan(0.05);
    }
    // Odd df: the df + 1 critical value leaves less than alpha above it.
    expect(survivalByIntegration(chiSquareCritical(11, 1e-9), 11)).toBeLessThan(1e-9);
  });

  it("computes the pmfs in fixed point: exp to 15+ digits, total mass 1, the closed-form variance", () => {
    const s = 10n ** 60n;
    expect(Number((expNegFixed(1n, 1n) * 10n ** 18n) / s) / 1e18).toBeCloseTo(Math.exp(-1), 15);
    expect(Number((expNegFixed(7n, 3n) * 10n ** 18n) / s) / 1e18).toBeCloseTo(Math.exp(-7 / 3), 15);
    for (const pmf of [discreteLaplacePmf(rational(10n, 3n)), discreteGaussianPmf(rational(7n, 3n)), discreteGaussianPmf(rational(5000n))]) {
      expect(pmf.p.reduce((a, b) => a + b, 0) + pmf.tail).toBeCloseTo(1, 12);
    }
    const q = Math.exp(-3 / 10); // discrete Laplace, scale 10/3: Var = 2q/(1 − q)²
    expect(expectation(discreteLaplacePmf(rational(10n, 3n)), (x) => x * x)).toBeCloseTo((2 * q) / (1 - q) ** 2, 9);
    // The discrete Gaussian's variance is just below σ² for large σ.
    expect(expectation(discreteGaussianPmf(rational(5000n)), (x) => x * x)).toBeCloseTo(5000, 6);
  });
});

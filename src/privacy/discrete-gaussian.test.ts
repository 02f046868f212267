import { describe, expect, it } from "vitest";
import { sampleBernoulliExp } from "./bernoulli-exp.js";
import { sampleDiscreteGaussian } from "./discrete-gaussian.js";
import { sampleDiscreteLaplace } from "./discrete-laplace.js";
import { rational, type Rational } from "./rational.js";
import { seededRandomSource } from "./seeded-random-source.js";
import { checkAgainstPmf, draw } from "./testdata/check-against-pmf.js";
import { discreteGaussianPmf } from "./testdata/exact-pmf.js";

// Statistical checks and their false-failure rates: see testdata/check-against-pmf.ts.
const N = 150_000;

describe("sampleDiscreteGaussian (production randomness) against the exact pmf", () => {
  const cases: Array<[string, Rational, number[]]> = [
    ["σ² = 7/3", rational(7n, 3n), [2, 5]],
    ["σ² = 5000 (ρ = 1 at sensitivity 100)", rational(5000n), [141, 283]],
    ["σ² = 1/4 (Laplace scale t = 1)", rational(1n, 4n), [0, 1]],
  ];
  it.each(cases)("%s: χ² fit, mean, variance, tails", (_name, sigma2, tails) => {
    checkAgainstPmf(draw(N, () => sampleDiscreteGaussian(sigma2)), discreteGaussianPmf(sigma2), tails);
  });

  it("refuses a zero σ²", () => {
    expect(() => sampleDiscreteGaussian({ num: 0n, den: 1n })).toThrow(/requires σ² > 0/);
  });
});

describe("the same checks reject wrong discrete Gaussian samplers (seeded: deterministic)", () => {
  const n = 100_000;
  const target = discreteGaussianPmf(rational(5000n));

  it("σ² 10 % too large", () => {
    const source = seededRandomSource("gaussian-power-sigma");
    expect(() => checkAgainstPmf(draw(n, () => sampleDiscreteGaussian(rational(5500n), source)), target, [])).toThrow();
  });

  it("Algorithm 3 with the factor 2 of 2σ² lost", () => {
    const source = seededRandomSource("gaussian-power-factor");
    const t = 71n; // ⌊√5000⌋ + 1
    const wrong = (): bigint => {
      for (;;) {
        const y = sampleDiscreteLaplace({ num: t, den: 1n }, source);
        const d = (y < 0n ? -y : y) * t - 5000n;
        if (sampleBernoulliExp(d * d, 5000n * t * t, source)) return y;
      }
    };
    expect(() => checkAgainstPmf(draw(n, wrong), target, [])).toThrow(/χ²/);
  });
});

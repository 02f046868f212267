import { describe, expect, it } from "vitest";
import { sampleBernoulliExp } from "./bernoulli-exp.js";
import { sampleDiscreteLaplace } from "./discrete-laplace.js";
import { rational, type Rational } from "./rational.js";
import { seededRandomSource } from "./seeded-random-source.js";
import { checkAgainstPmf, draw } from "./testdata/check-against-pmf.js";
import { discreteLaplacePmf } from "./testdata/exact-pmf.js";

// Statistical checks and their false-failure rates: see testdata/check-against-pmf.ts.
const N = 150_000;

describe("sampleDiscreteLaplace (production randomness) against the exact pmf", () => {
  const cases: Array<[string, Rational, number[]]> = [
    ["scale 10/3 (Algorithm 2 with s = 3)", rational(10n, 3n), [5, 15]],
    ["scale 100 (ε = 1 at sensitivity 100)", rational(100n), [200, 600]],
    ["scale 1/2 (mostly zeros)", rational(1n, 2n), [1, 4]],
  ];
  it.each(cases)("%s: χ² fit, mean, variance, tails", (_name, scale, tails) => {
    checkAgainstPmf(draw(N, () => sampleDiscreteLaplace(scale)), discreteLaplacePmf(scale), tails);
  });

  it("refuses a zero scale", () => {
    expect(() => sampleDiscreteLaplace({ num: 0n, den: 1n })).toThrow(/requires a scale > 0/);
  });
});

describe("the same checks reject wrong discrete Laplace samplers (seeded: deterministic)", () => {
  const n = 100_000;
  const target = discreteLaplacePmf(rational(10n, 3n));

  it("a scale 5 % too large", () => {
    const source = seededRandomSource("laplace-power-scale");
    expect(() => checkAgainstPmf(draw(n, () => sampleDiscreteLaplace(rational(35n, 10n), source)), target, [])).toThrow(/χ²/);
  });

  it("Algorithm 2 without its rejection of −0 (zero counted twice)", () => {
    const source = seededRandomSource("laplace-power-zero");
    const wrong = (): bigint => {
      for (;;) {
        const u = source.uniformBelow(10n);
        if (!sampleBernoulliExp(u, 10n, source)) continue;
        let v = 0n;
        while (sampleBernoulliExp(1n, 1n, source)) v++;
        const magnitude = (u + 10n * v) / 3n;
        return source.uniformBelow(2n) === 1n ? -magnitude : magnitude;
      }
    };
    expect(() => checkAgainstPmf(draw(n, wrong), target, [])).toThrow(/χ²/);
  });
});

import { describe, expect, it } from "vitest";
import { sampleBernoulliExp } from "./bernoulli-exp.js";
import { cryptoRandomSource } from "./random-source.js";
import { ALPHA } from "./testdata/check-against-pmf.js";
import { bernsteinTolerance } from "./testdata/statistics.js";

describe("sampleBernoulliExp", () => {
  it("is always 1 at γ = 0", () => {
    for (let i = 0; i < 1000; i++) expect(sampleBernoulliExp(0n, 7n, cryptoRandomSource)).toBe(true);
  });

  // γ below 1, exactly 1, and above 1 (the loop of Bernoulli(exp(−1)) then the remainder).
  it.each([[1n, 3n], [1n, 1n], [3n, 2n], [29n, 7n]])("succeeds with probability exp(−%i/%i)", (num, den) => {
    const n = 100_000;
    const p = Math.exp(-Number(num) / Number(den));
    let hits = 0;
    for (let i = 0; i < n; i++) if (sampleBernoulliExp(num, den, cryptoRandomSource)) hits++;
    const tol = bernsteinTolerance(n, p * (1 - p), 1, ALPHA);
    expect(Math.abs(hits / n - p), `${hits / n} vs ${p} ± ${tol}`).toBeLessThan(tol);
  });

  it("refuses a negative γ", () => {
    expect(() => sampleBernoulliExp(-1n, 2n, cryptoRandomSource)).toThrow(/requires num >= 0/);
  });
});

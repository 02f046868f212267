import { OpmError } from "../kernel/errors/index.js";
import type { RandomSource } from "./random-source.js";

/**
 * One draw of Bernoulli(exp(−num/den)), exactly: Canonne, Kamath and Steinke (2020),
 * Algorithm 1. For γ ≤ 1 it counts K while Bernoulli(γ/K) succeeds and returns whether the
 * count is odd (the alternating series of exp(−γ)); for γ > 1 it needs ⌊γ⌋ successes of
 * Bernoulli(exp(−1)) and then one of Bernoulli(exp(−(γ − ⌊γ⌋))). Only integer comparisons
 * of uniform draws; requires num >= 0, den > 0.
 */
export function sampleBernoulliExp(num: bigint, den: bigint, source: RandomSource): boolean {
  if (num < 0n || den <= 0n) throw new OpmError("internal", `Bernoulli(exp(-${num}/${den})): requires num >= 0 and den > 0`);
  const whole = num / den;
  for (let k = 0n; k < whole; k++) {
    if (!bernoulliExpAtMostOne(1n, 1n, source)) return false;
  }
  return bernoulliExpAtMostOne(num - whole * den, den, source);
}

/** Bernoulli(exp(−num/den)) for 0 <= num/den <= 1. */
function bernoulliExpAtMostOne(num: bigint, den: bigint, source: RandomSource): boolean {
  let k = 1n;
  // Bernoulli(num/(den·k)): a uniform draw below den·k lands below num.
  while (source.uniformBelow(den * k) < num) k++;
  return (k & 1n) === 1n;
}

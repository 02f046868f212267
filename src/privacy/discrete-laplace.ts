import { OpmError } from "../kernel/errors/index.js";
import { sampleBernoulliExp } from "./bernoulli-exp.js";
import { cryptoRandomSource, type RandomSource } from "./random-source.js";
import type { Rational } from "./rational.js";

/**
 * One draw of the discrete Laplace distribution with scale t = num/den:
 * P[X = x] = (e^{1/t} − 1)/(e^{1/t} + 1) · e^{−|x|/t} for every integer x.
 * Canonne, Kamath and Steinke (2020), Algorithm 2, with t = `scale.num`/`scale.den`: a
 * geometric magnitude built from a uniform remainder U < num (kept with probability
 * exp(−U/num)) and a count V of Bernoulli(exp(−1)) successes, divided by den, and a fair
 * sign (the draw "−0" is rejected so 0 is not counted twice). Exact: integers only.
 * Requires scale > 0; `source` defaults to node:crypto.
 */
export function sampleDiscreteLaplace(scale: Rational, source: RandomSource = cryptoRandomSource): bigint {
  const { num, den } = scale;
  if (num <= 0n || den <= 0n) throw new OpmError("invalid_argument", `discrete Laplace scale ${num}/${den}: requires a scale > 0`);
  for (;;) {
    const u = source.uniformBelow(num);
    if (!sampleBernoulliExp(u, num, source)) continue;
    let v = 0n;
    while (sampleBernoulliExp(1n, 1n, source)) v++;
    const magnitude = (u + num * v) / den;
    const negative = source.uniformBelow(2n) === 1n;
    if (negative && magnitude === 0n) continue;
    return negative ? -magnitude : magnitude;
  }
}

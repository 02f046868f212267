import { OpmError } from "../kernel/errors/index.js";
import { sampleBernoulliExp } from "./bernoulli-exp.js";
import { sampleDiscreteLaplace } from "./discrete-laplace.js";
import { cryptoRandomSource, type RandomSource } from "./random-source.js";
import { isqrt, type Rational } from "./rational.js";

/**
 * One draw of the discrete Gaussian with variance parameter σ² = num/den:
 * P[X = x] ∝ exp(−x²/(2σ²)) for every integer x.
 * Canonne, Kamath and Steinke (2020), Algorithm 3: a discrete Laplace draw Y with integer
 * scale t = ⌊σ⌋ + 1, kept with probability exp(−(|Y| − σ²/t)²/(2σ²)). Exact: integers only.
 * Requires σ² > 0; `source` defaults to node:crypto.
 */
export function sampleDiscreteGaussian(sigma2: Rational, source: RandomSource = cryptoRandomSource): bigint {
  const { num, den } = sigma2;
  if (num <= 0n || den <= 0n) throw new OpmError("invalid_argument", `discrete Gaussian σ² ${num}/${den}: requires σ² > 0`);
  const t = isqrt(num / den) + 1n; // ⌊σ⌋ = ⌊√⌊σ²⌋⌋
  const laplace = { num: t, den: 1n };
  // (|Y| − σ²/t)²/(2σ²) = (|Y|·den·t − num)² / (2·num·den·t²)
  const gammaDen = 2n * num * den * t * t;
  for (;;) {
    const y = sampleDiscreteLaplace(laplace, source);
    const d = (y < 0n ? -y : y) * den * t - num;
    if (sampleBernoulliExp(d * d, gammaDen, source)) return y;
  }
}

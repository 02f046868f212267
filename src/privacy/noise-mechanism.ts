import { OpmError } from "../kernel/errors/index.js";
import { sampleDiscreteGaussian } from "./discrete-gaussian.js";
import { sampleDiscreteLaplace } from "./discrete-laplace.js";
import { cryptoRandomSource, type RandomSource } from "./random-source.js";
import { formatRational, rational, type Rational } from "./rational.js";

/** Integer noise added to a clamped integer value: the two exact mechanisms. */
export type NoiseMechanism =
  /** Discrete Laplace with scale t: ε-DP for sensitivity Δ with ε = Δ/t. */
  | { kind: "discrete-laplace"; scale: Rational }
  /** Discrete Gaussian with variance parameter σ²: ρ-zCDP for sensitivity Δ with ρ = Δ²/(2σ²). */
  | { kind: "discrete-gaussian"; sigma2: Rational };

/** The closed range a value is clamped to before noise; requires min <= max. */
export interface ClampRange {
  min: bigint;
  max: bigint;
}

/** One draw of the mechanism's noise. */
export function sampleNoise(mechanism: NoiseMechanism, source: RandomSource = cryptoRandomSource): bigint {
  return mechanism.kind === "discrete-laplace" ? sampleDiscreteLaplace(mechanism.scale, source) : sampleDiscreteGaussian(mechanism.sigma2, source);
}

/** `value` clamped into `range`. */
export function clampValue(value: bigint, range: ClampRange): bigint {
  requireRange(range);
  return value < range.min ? range.min : value > range.max ? range.max : value;
}

/**
 * The sensitivity of one clamped value: any change of the data moves it by at most
 * max − min. Requires max > min (a single-point range releases nothing worth noise).
 */
export function sensitivityOf(range: ClampRange): bigint {
  requireRange(range);
  if (range.max === range.min) throw new OpmError("invalid_argument", `clamp range [${range.min}, ${range.max}] is a single point`);
  return range.max - range.min;
}

/** `value` clamped into `range`, plus one draw of noise: what a release publishes. */
export function noisedValue(value: bigint, range: ClampRange, mechanism: NoiseMechanism, source: RandomSource = cryptoRandomSource): bigint {
  return clampValue(value, range) + sampleNoise(mechanism, source);
}

/** The discrete Laplace mechanism costing exactly ε for `sensitivity`: scale Δ/ε. Requires Δ > 0, ε > 0. */
export function laplaceForEpsilon(sensitivity: bigint, epsilon: Rational): NoiseMechanism {
  requirePositive(sensitivity, epsilon, "ε");
  return { kind: "discrete-laplace", scale: rational(sensitivity * epsilon.den, epsilon.num) };
}

/** The discrete Gaussian costing exactly ρ for `sensitivity`: σ² = Δ²/(2ρ). Requires Δ > 0, ρ > 0. */
export function gaussianForRho(sensitivity: bigint, rho: Rational): NoiseMechanism {
  requirePositive(sensitivity, rho, "ρ");
  return { kind: "discrete-gaussian", sigma2: rational(sensitivity * sensitivity * rho.den, 2n * rho.num) };
}

/** `discrete-laplace(scale=1000)`, `discrete-gaussian(sigma2=5000/3)`: for messages and logs. */
export function describeMechanism(mechanism: NoiseMechanism): string {
  return mechanism.kind === "discrete-laplace"
    ? `discrete-laplace(scale=${formatRational(mechanism.scale)})`
    : `discrete-gaussian(sigma2=${formatRational(mechanism.sigma2)})`;
}

function requireRange(range: ClampRange): void {
  if (range.min > range.max) throw new OpmError("invalid_argument", `clamp range [${range.min}, ${range.max}]: min > max`);
}

function requirePositive(sensitivity: bigint, r: Rational, name: string): void {
  if (sensitivity <= 0n) throw new OpmError("invalid_argument", `sensitivity ${sensitivity}: requires > 0`);
  if (r.num <= 0n || r.den <= 0n) throw new OpmError("invalid_argument", `${name} ${formatRational(r)}: requires > 0`);
}

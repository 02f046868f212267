import { randomBytes, randomInt } from "node:crypto";
import { OpmError } from "../kernel/errors/index.js";

/**
 * Where the samplers get their randomness: uniform integers, nothing else. Production uses
 * `cryptoRandomSource` (node:crypto); tests may inject a seeded one to replay a run.
 */
export interface RandomSource {
  /** A uniform integer in [0, bound). Requires bound >= 1. */
  uniformBelow(bound: bigint): bigint;
}

/** crypto.randomInt takes ranges below 2^48 (and safe integers). */
const RANDOM_INT_LIMIT = 1n << 48n;

/**
 * The production source: `crypto.randomInt` for bounds below 2^48, otherwise rejection
 * sampling over `crypto.randomBytes`. Both are unbiased.
 */
export const cryptoRandomSource: RandomSource = {
  uniformBelow(bound: bigint): bigint {
    requireBound(bound);
    if (bound < RANDOM_INT_LIMIT) return BigInt(randomInt(Number(bound)));
    return uniformBelowFromBytes(bound, randomBytes);
  },
};

/**
 * A uniform integer in [0, bound) from a stream of uniform bytes: draws just enough bytes
 * for bound − 1, masks the surplus high bits and rejects values >= bound (so no modulo bias;
 * each try succeeds with probability > 1/2).
 */
export function uniformBelowFromBytes(bound: bigint, nextBytes: (count: number) => Uint8Array): bigint {
  requireBound(bound);
  if (bound === 1n) return 0n;
  const bits = (bound - 1n).toString(2).length;
  const count = (bits + 7) >> 3;
  const topMask = 0xff >> (count * 8 - bits);
  for (;;) {
    const bytes = nextBytes(count);
    let value = BigInt(bytes[0]! & topMask);
    for (let i = 1; i < count; i++) value = (value << 8n) | BigInt(bytes[i]!);
    if (value < bound) return value;
  }
}

function requireBound(bound: bigint): void {
  if (bound < 1n) throw new OpmError("internal", `uniformBelow(${bound}): requires bound >= 1`);
}

import { badArgument } from "../errors.js";

/**
 * Tree sizes and leaf indices are `bigint` throughout the ledger: checkpoint sizes are
 * uint64 on the wire (C2SP tlog-checkpoint, protobuf `uint64` which protobuf-es maps to
 * bigint, PostgreSQL `bigint`), so one exact type end to end avoids lossy conversions
 * and the 32-bit truncation of JavaScript's bitwise operators on `number`.
 */
export const MAX_TREE_SIZE = (1n << 64n) - 1n;

/** Throws bad_argument unless `value` is a bigint in [0, 2^64). `name` is used in the message. */
export function checkUint64(value: bigint, name: string): void {
  if (typeof value !== "bigint") throw badArgument(`${name} must be a bigint, got ${typeof value}`, name);
  if (value < 0n || value > MAX_TREE_SIZE) throw badArgument(`${name} ${value} is outside [0, 2^64)`, name);
}

/** Number of bits needed to represent `x` (bits.Len64); 0 for 0. Requires x >= 0. */
export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** Largest power of two strictly less than `n`; requires n >= 2 (RFC 6962 "k"). */
export function largestPowerOfTwoBelow(n: bigint): bigint {
  return 1n << BigInt(bitLength(n - 1n) - 1);
}

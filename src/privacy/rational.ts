import { OpmError } from "../kernel/errors/index.js";

/** An exact non-negative rational `num/den` with `den > 0`, in lowest terms when made by `rational`. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

/** The greatest common divisor of |a| and |b| (gcd(0, 0) = 0). */
export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** `num/den` in lowest terms. Requires `num >= 0` and `den > 0`. */
export function rational(num: bigint, den = 1n): Rational {
  if (den <= 0n || num < 0n) throw new OpmError("invalid_argument", `rational ${num}/${den}: requires num >= 0 and den > 0`);
  const g = gcd(num, den);
  return g <= 1n ? { num, den } : { num: num / g, den: den / g };
}

/** Parses `"3/10"`, `"7"` or a decimal `"0.25"` into an exact rational; `field` names the input in errors. */
export function parseRational(text: string, field = "rational"): Rational {
  const fraction = /^(\d+)\/(\d+)$/.exec(text);
  if (fraction !== null) {
    const den = BigInt(fraction[2]!);
    if (den === 0n) throw new OpmError("invalid_argument", `field \`${field}\`: ${JSON.stringify(text)} has a zero denominator`, { field });
    return rational(BigInt(fraction[1]!), den);
  }
  const decimal = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (decimal === null) throw new OpmError("invalid_argument", `field \`${field}\`: ${JSON.stringify(text)} is not a non-negative rational (e.g. "3/10" or "0.3")`, { field });
  const digits = decimal[2] ?? "";
  return rational(BigInt(decimal[1]! + digits), 10n ** BigInt(digits.length));
}

/** `"num/den"` (or `"num"` when den is 1): the text `parseRational` reads back. */
export function formatRational(r: Rational): string {
  return r.den === 1n ? `${r.num}` : `${r.num}/${r.den}`;
}

/** ⌈num/den⌉ for num >= 0, den > 0. */
export function ceilDiv(num: bigint, den: bigint): bigint {
  return (num + den - 1n) / den;
}

/** ⌊√n⌋ for n >= 0 (Newton's method on integers). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new OpmError("internal", `isqrt of negative ${n}`);
  if (n < 2n) return n;
  let x = 1n << ((BigInt(n.toString(2).length) + 1n) / 2n); // 2^⌈bits/2⌉ >= √n
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** ⌈√n⌉ for n >= 0. */
export function isqrtCeil(n: bigint): bigint {
  const r = isqrt(n);
  return r * r === n ? r : r + 1n;
}

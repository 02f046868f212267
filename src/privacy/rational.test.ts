import { describe, expect, it } from "vitest";
import { amountCeil, amountFloor, formatAmount, parseAmount, PRIVACY_UNITS } from "./privacy-amount.js";
import { ceilDiv, formatRational, gcd, isqrt, isqrtCeil, parseRational, rational } from "./rational.js";
import { seededRandomSource } from "./seeded-random-source.js";

describe("rationals", () => {
  it("are kept in lowest terms and read back what they print", () => {
    expect(rational(6n, 4n)).toEqual({ num: 3n, den: 2n });
    expect(rational(0n, 5n)).toEqual({ num: 0n, den: 1n });
    expect(gcd(0n, 0n)).toBe(0n);
    for (const text of ["3/10", "7", "0", "123456789012345678901234567891/1000"]) expect(formatRational(parseRational(text))).toBe(text);
    expect(parseRational("0.25")).toEqual({ num: 1n, den: 4n });
    expect(parseRational("2.50")).toEqual({ num: 5n, den: 2n });
  });

  it("refuses negative, zero-denominator and malformed input, naming the field", () => {
    expect(() => rational(-1n, 2n)).toThrow(/requires num >= 0 and den > 0/);
    expect(() => rational(1n, 0n)).toThrow(/requires num >= 0 and den > 0/);
    expect(() => parseRational("1/0", "policy.epsilon")).toThrow(/`policy.epsilon`.*zero denominator/);
    expect(() => parseRational("-1", "policy.epsilon")).toThrow(/`policy.epsilon`.*not a non-negative rational/);
    expect(() => parseRational("1e-3")).toThrow(/not a non-negative rational/);
  });

  it("isqrt and isqrtCeil agree with the definition on small, square and huge values", () => {
    const check = (n: bigint) => {
      const r = isqrt(n);
      expect(r * r <= n && (r + 1n) * (r + 1n) > n, `isqrt(${n}) = ${r}`).toBe(true);
      const c = isqrtCeil(n);
      expect(c * c >= n && (c === 0n || (c - 1n) * (c - 1n) < n), `isqrtCeil(${n}) = ${c}`).toBe(true);
    };
    for (let n = 0n; n < 2000n; n++) check(n);
    const source = seededRandomSource("isqrt");
    for (let i = 0; i < 500; i++) {
      const n = source.uniformBelow(1n << BigInt(1 + (i % 300)));
      check(n);
      check(n * n);
      check(n * n + 1n);
    }
    expect(ceilDiv(7n, 2n)).toBe(4n);
    expect(ceilDiv(8n, 2n)).toBe(4n);
  });
});

describe("privacy amounts (nano-units)", () => {
  it("format and parse exact decimals", () => {
    expect(formatAmount(0n)).toBe("0");
    expect(formatAmount(PRIVACY_UNITS)).toBe("1");
    expect(formatAmount(250_000_000n)).toBe("0.25");
    expect(formatAmount(1n)).toBe("0.000000001");
    expect(parseAmount("0.1")).toBe(100_000_000n);
    expect(parseAmount("12.000000007")).toBe(12_000_000_007n);
    expect(() => parseAmount("0.0000000001", "budget.total")).toThrow(/`budget.total`.*at most 9 fractional digits/);
  });

  it("round a rational up for charges and down for allowances", () => {
    expect(amountCeil(rational(1n, 3n))).toBe(333_333_334n);
    expect(amountFloor(rational(1n, 3n))).toBe(333_333_333n);
    expect(amountCeil(rational(1n, 10n))).toBe(100_000_000n);
  });

  it("add up without drift: ten charges of 0.1 make exactly 1", () => {
    let sum = 0n;
    for (let i = 0; i < 10; i++) sum += parseAmount("0.1");
    expect(sum).toBe(parseAmount("1"));
  });
});

import { describe, expect, it } from "vitest";
import { composeCosts, costOf, exactCostOf, parseAccountant } from "./accountant.js";
import { clampValue, describeMechanism, gaussianForRho, laplaceForEpsilon, noisedValue, sensitivityOf } from "./noise-mechanism.js";
import { formatAmount, parseAmount } from "./privacy-amount.js";
import { rational } from "./rational.js";
import { seededRandomSource } from "./seeded-random-source.js";
import { approxDpOfZcdp, lnInverseUpper, zcdpForApproxDp } from "./zcdp-conversion.js";

describe("mechanism costs", () => {
  it("discrete Laplace with scale t costs ε = Δ/t, and ρ = ε²/2 under zCDP", () => {
    const m = { kind: "discrete-laplace", scale: rational(1000n) } as const;
    expect(exactCostOf(m, 100n, "pure-dp")).toEqual(rational(1n, 10n));
    expect(costOf(m, 100n, "pure-dp")).toBe(parseAmount("0.1"));
    expect(exactCostOf(m, 100n, "zcdp")).toEqual(rational(1n, 200n));
    expect(formatAmount(costOf(m, 100n, "zcdp"))).toBe("0.005");
    // A rational scale: t = 1000/3 → ε = 3·100/1000.
    expect(exactCostOf({ kind: "discrete-laplace", scale: rational(1000n, 3n) }, 100n, "pure-dp")).toEqual(rational(3n, 10n));
  });

  it("discrete Gaussian with σ² costs ρ = Δ²/(2σ²), and has no pure-ε cost", () => {
    const m = { kind: "discrete-gaussian", sigma2: rational(5000n) } as const;
    expect(exactCostOf(m, 100n, "zcdp")).toEqual(rational(1n));
    expect(() => costOf(m, 100n, "pure-dp")).toThrow(/no pure ε guarantee/);
  });

  it("rounds a cost up, never down", () => {
    // ε = 1/3 → 0.333333334
    expect(costOf({ kind: "discrete-laplace", scale: rational(300n) }, 100n, "pure-dp")).toBe(333_333_334n);
  });

  it("the calibrations cost exactly what they were made for", () => {
    for (const eps of ["0.1", "1", "10", "3/7"]) {
      const epsilon = eps.includes("/") ? rational(3n, 7n) : rational(parseAmount(eps), 1_000_000_000n);
      expect(exactCostOf(laplaceForEpsilon(100n, epsilon), 100n, "pure-dp")).toEqual(epsilon);
    }
    expect(laplaceForEpsilon(100n, rational(1n, 10n))).toEqual({ kind: "discrete-laplace", scale: rational(1000n) });
    const rho = rational(1n, 8n);
    expect(exactCostOf(gaussianForRho(100n, rho), 100n, "zcdp")).toEqual(rho);
    expect(describeMechanism(gaussianForRho(100n, rho))).toBe("discrete-gaussian(sigma2=40000)");
    expect(() => laplaceForEpsilon(0n, rho)).toThrow(/sensitivity 0/);
    expect(() => gaussianForRho(1n, rational(0n))).toThrow(/ρ 0: requires > 0/);
  });

  it("compose by addition under both accountants", () => {
    expect(composeCosts([parseAmount("0.1"), parseAmount("0.2"), parseAmount("0.7")])).toBe(parseAmount("1"));
    expect(() => composeCosts([-1n])).toThrow(/negative/);
    expect(parseAccountant("zcdp")).toBe("zcdp");
    expect(() => parseAccountant("renyi", "policy.accountant")).toThrow(/`policy.accountant`: unknown accountant "renyi" \(pure-dp, zcdp\)/);
  });
});

describe("clamping and releasing", () => {
  it("clamps, then adds integer noise; the sensitivity of a clamped value is the range's width", () => {
    const range = { min: -10_000n, max: 10_000n };
    expect(clampValue(25_000n, range)).toBe(10_000n);
    expect(clampValue(-25_000n, range)).toBe(-10_000n);
    expect(clampValue(42n, range)).toBe(42n);
    expect(sensitivityOf(range)).toBe(20_000n);
    expect(() => sensitivityOf({ min: 3n, max: 3n })).toThrow(/single point/);
    expect(() => clampValue(0n, { min: 1n, max: 0n })).toThrow(/min > max/);
    const source = seededRandomSource("release");
    const released = noisedValue(50_000n, range, { kind: "discrete-laplace", scale: rational(10n) }, source);
    expect(typeof released).toBe("bigint");
    expect(released > 10_000n - 500n && released < 10_000n + 500n).toBe(true); // |noise| > 500 has P ≈ 2e-22
  });
});

describe("zCDP → (ε, δ)", () => {
  const close = (units: bigint, x: number) => expect(Number(units) / 1e9).toBeCloseTo(x, 8);

  it("ln(1/δ) is bounded from above, within 1e-30", () => {
    const ln = lnInverseUpper(rational(1n, 1_000_000n));
    // ⌊ln(10^6)·10^40⌋ (Python decimal, 60 digits)
    const floorTimes1e40 = 138155105579642741041079487281061852456066n;
    expect(ln > floorTimes1e40).toBe(true);
    expect(ln - floorTimes1e40 < 2n * 10n ** 10n).toBe(true); // the 1e-30 margin, and nothing much more
    const ln2 = lnInverseUpper(rational(1n, 2n)) - 6931471805599453094172321214581765680755n; // ⌊ln 2·10^40⌋ (Python decimal, 60 digits)
    expect(ln2 > 0n && ln2 < 2n * 10n ** 10n).toBe(true);
    expect(() => lnInverseUpper(rational(1n))).toThrow(/0 < δ < 1/);
  });

  it("ε = ρ + 2√(ρ ln(1/δ)) (Bun–Steinke), rounded up", () => {
    close(approxDpOfZcdp(parseAmount("0.5"), rational(1n, 1_000_000n)), 0.5 + 2 * Math.sqrt(0.5 * Math.log(1e6)));
    close(approxDpOfZcdp(parseAmount("0.01"), rational(1n, 100_000n)), 0.01 + 2 * Math.sqrt(0.01 * Math.log(1e5)));
    expect(approxDpOfZcdp(0n, rational(1n, 10n))).toBe(0n);
  });

  it("the ρ for an (ε, δ) budget converts back to at most ε, and to ε within rounding", () => {
    for (const [eps, delta] of [["1", rational(1n, 1_000_000n)], ["0.1", rational(1n, 100_000_000n)], ["8", rational(1n, 1000n)]] as const) {
      const epsilon = parseAmount(eps);
      const rho = zcdpForApproxDp(epsilon, delta);
      const back = approxDpOfZcdp(rho, delta);
      expect(back <= epsilon).toBe(true);
      expect(epsilon - back < 1000n).toBe(true); // within 1e-6 ε
      expect(approxDpOfZcdp(rho + 1000n, delta) > epsilon).toBe(true);
    }
  });
});

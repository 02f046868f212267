import { OpmError } from "../kernel/errors/index.js";
import type { NoiseMechanism } from "./noise-mechanism.js";
import { amountCeil, type PrivacyAmount } from "./privacy-amount.js";
import { rational, type Rational } from "./rational.js";

/**
 * How a budget adds up its charges.
 * - `pure-dp`: amounts are ε; basic composition (ε's add up). Only ε-DP mechanisms.
 * - `zcdp`: amounts are ρ (zero-concentrated DP, Bun and Steinke 2016); ρ's add up, and a
 *   total ρ converts to (ε, δ)-DP with `approxDpOfZcdp`. An ε-DP mechanism costs ρ = ε²/2.
 */
export const ACCOUNTANTS = ["pure-dp", "zcdp"] as const;
export type AccountantKind = (typeof ACCOUNTANTS)[number];

/** The accountant named `text`, or invalid_argument naming `field`. */
export function parseAccountant(text: string, field = "accountant"): AccountantKind {
  const found = ACCOUNTANTS.find((a) => a === text);
  if (found === undefined) throw new OpmError("invalid_argument", `field \`${field}\`: unknown accountant ${JSON.stringify(text)} (${ACCOUNTANTS.join(", ")})`, { field });
  return found;
}

/** `ε` or `ρ`: the symbol of what an accountant's amounts measure. */
export function measureOf(accountant: AccountantKind): "ε" | "ρ" {
  return accountant === "pure-dp" ? "ε" : "ρ";
}

/**
 * The exact cost of one use of `mechanism` on a quantity of `sensitivity` under `accountant`:
 * discrete Laplace with scale t costs ε = Δ/t (ρ = ε²/2 under zCDP); the discrete Gaussian
 * with σ² costs ρ = Δ²/(2σ²) and has no pure-ε cost (failed_precondition under pure-dp).
 * Requires sensitivity > 0.
 */
export function exactCostOf(mechanism: NoiseMechanism, sensitivity: bigint, accountant: AccountantKind): Rational {
  if (sensitivity <= 0n) throw new OpmError("invalid_argument", `sensitivity ${sensitivity}: requires > 0`);
  if (mechanism.kind === "discrete-laplace") {
    const { num, den } = mechanism.scale;
    const epsilon = rational(sensitivity * den, num);
    return accountant === "pure-dp" ? epsilon : rational(epsilon.num * epsilon.num, 2n * epsilon.den * epsilon.den);
  }
  if (accountant === "pure-dp") {
    throw new OpmError("failed_precondition", "the discrete Gaussian has no pure ε guarantee: its releases need a zcdp budget");
  }
  const { num, den } = mechanism.sigma2;
  return rational(sensitivity * sensitivity * den, 2n * num);
}

/** `exactCostOf` rounded up to a whole privacy unit: what a budget is charged. */
export function costOf(mechanism: NoiseMechanism, sensitivity: bigint, accountant: AccountantKind): PrivacyAmount {
  return amountCeil(exactCostOf(mechanism, sensitivity, accountant));
}

/** Composition of charges on one budget: under both accountants, their sum. Requires amounts >= 0. */
export function composeCosts(costs: readonly PrivacyAmount[]): PrivacyAmount {
  let total = 0n;
  for (const c of costs) {
    if (c < 0n) throw new OpmError("internal", `negative privacy cost ${c}`);
    total += c;
  }
  return total;
}

/**
 * Differential privacy for what leaves a participant: exact integer noise (discrete Laplace
 * and discrete Gaussian, Canonne–Kamath–Steinke 2020) on node:crypto randomness, the
 * accountants (pure ε, zCDP) and the filter that refuses a charge a budget cannot pay.
 * Pure: no I/O; the budget store lives with the registry (src/server/privacy).
 */
export { ACCOUNTANTS, composeCosts, costOf, exactCostOf, measureOf, parseAccountant } from "./accountant.js";
export type { AccountantKind } from "./accountant.js";
export { sampleBernoulliExp } from "./bernoulli-exp.js";
export { sampleDiscreteGaussian } from "./discrete-gaussian.js";
export { sampleDiscreteLaplace } from "./discrete-laplace.js";
export {
  clampValue, describeMechanism, gaussianForRho, laplaceForEpsilon, noisedValue, sampleNoise, sensitivityOf,
} from "./noise-mechanism.js";
export type { ClampRange, NoiseMechanism } from "./noise-mechanism.js";
export { PRIVACY_UNITS, amountCeil, amountFloor, amountToRational, formatAmount, parseAmount } from "./privacy-amount.js";
export type { PrivacyAmount } from "./privacy-amount.js";
export { budgetName, describeRemaining, remainingOf, requireFamily } from "./privacy-budget.js";
export type { BudgetTerms, PrivacyBudget, PrivacyBudgetKey } from "./privacy-budget.js";
export { budgetExhausted, judgeCharge, requireCharge } from "./privacy-filter.js";
export type { ChargeJudgement } from "./privacy-filter.js";
export { cryptoRandomSource, uniformBelowFromBytes } from "./random-source.js";
export type { RandomSource } from "./random-source.js";
export { ceilDiv, formatRational, gcd, isqrt, isqrtCeil, parseRational, rational } from "./rational.js";
export type { Rational } from "./rational.js";
export { approxDpOfZcdp, lnInverseUpper, zcdpForApproxDp } from "./zcdp-conversion.js";

import { OpmError } from "../kernel/errors/index.js";
import { measureOf } from "./accountant.js";
import { budgetName, describeRemaining, remainingOf, type PrivacyBudget } from "./privacy-budget.js";
import { formatAmount, type PrivacyAmount } from "./privacy-amount.js";

/** The filter's decision on one charge: accept with the spending after it, or refuse. */
export type ChargeJudgement =
  | { kind: "accept"; cost: PrivacyAmount; spentAfter: PrivacyAmount; remainingAfter: PrivacyAmount }
  | { kind: "refuse"; cost: PrivacyAmount; remaining: PrivacyAmount };

/**
 * The privacy filter: a charge is accepted only if the budget's spending with it stays
 * within its total (basic composition under pure DP, ρ's adding up under zCDP — both sums).
 * Pure: decides from the numbers, writes nothing. Requires cost >= 0.
 */
export function judgeCharge(budget: PrivacyBudget, cost: PrivacyAmount): ChargeJudgement {
  if (cost < 0n) throw new OpmError("internal", `negative privacy cost ${cost}`);
  const spentAfter = budget.spent + cost;
  if (spentAfter > budget.total) return { kind: "refuse", cost, remaining: remainingOf(budget) };
  return { kind: "accept", cost, spentAfter, remainingAfter: budget.total - spentAfter };
}

/** RESOURCE_EXHAUSTED naming the budget, the cost refused and what remains. */
export function budgetExhausted(budget: PrivacyBudget, cost: PrivacyAmount, what: string): OpmError {
  const symbol = measureOf(budget.accountant);
  return new OpmError(
    "resource_exhausted",
    `${budgetName(budget)} (${budget.accountant}) cannot pay for ${what}: it costs ${symbol} ${formatAmount(cost)}, ${describeRemaining(budget)} remains`,
  );
}

/** `judgeCharge`, throwing `budgetExhausted` on refusal. */
export function requireCharge(budget: PrivacyBudget, cost: PrivacyAmount, what: string): Extract<ChargeJudgement, { kind: "accept" }> {
  const judgement = judgeCharge(budget, cost);
  if (judgement.kind === "refuse") throw budgetExhausted(budget, cost, what);
  return judgement;
}

import { OpmError } from "../kernel/errors/index.js";
import { measureOf, type AccountantKind } from "./accountant.js";
import { formatAmount, type PrivacyAmount } from "./privacy-amount.js";

/** Whose budget: a participant's, for one problem family. */
export interface PrivacyBudgetKey {
  participant: string;
  /** `<compiler>/<objective>`, e.g. `llvm/ir-instcount`. */
  family: string;
}

/** What a budget allows (from policy): its accountant and its total. */
export interface BudgetTerms {
  accountant: AccountantKind;
  /** In privacy units (ε or ρ per the accountant); >= 0. */
  total: PrivacyAmount;
}

/** A budget as it stands: its terms and what was spent. `spent` may exceed a total lowered later. */
export interface PrivacyBudget extends PrivacyBudgetKey, BudgetTerms {
  spent: PrivacyAmount;
}

const FAMILY = /^[a-z0-9][a-z0-9_.-]*\/[a-z0-9][a-z0-9_.-]*$/;

/** `family` if it reads `<compiler>/<objective>` (lowercase), else invalid_argument naming `field`. */
export function requireFamily(family: string, field = "family"): string {
  if (!FAMILY.test(family)) throw new OpmError("invalid_argument", `field \`${field}\`: problem family ${JSON.stringify(family)} is not <compiler>/<objective> (e.g. "compiler/objective")`, { field });
  return family;
}

/** What is left of `budget` (never negative). */
export function remainingOf(budget: Pick<PrivacyBudget, "total" | "spent">): PrivacyAmount {
  return budget.total > budget.spent ? budget.total - budget.spent : 0n;
}

/** `privacy budget of participant "alice" for family "llvm/ir-instcount"`. */
export function budgetName(key: PrivacyBudgetKey): string {
  return `privacy budget of participant ${JSON.stringify(key.participant)} for family ${JSON.stringify(key.family)}`;
}

/** `ε 0.25 of 1` / `ρ 0.5 of 2`: what remains of a budget, for messages. */
export function describeRemaining(budget: PrivacyBudget): string {
  return `${measureOf(budget.accountant)} ${formatAmount(remainingOf(budget))} of ${formatAmount(budget.total)}`;
}

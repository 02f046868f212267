import { describe, expect, it } from "vitest";
import { isOpmError } from "../kernel/errors/index.js";
import { parseAmount } from "./privacy-amount.js";
import { remainingOf, requireFamily, type PrivacyBudget } from "./privacy-budget.js";
import { judgeCharge, requireCharge } from "./privacy-filter.js";

const budget = (spent: string, total = "1"): PrivacyBudget => ({
  participant: "alice", family: "llvm/ir-instcount", accountant: "pure-dp", total: parseAmount(total), spent: parseAmount(spent),
});

describe("the privacy filter", () => {
  it("accepts a charge that fits, up to the total exactly", () => {
    expect(judgeCharge(budget("0.5"), parseAmount("0.3"))).toEqual({ kind: "accept", cost: parseAmount("0.3"), spentAfter: parseAmount("0.8"), remainingAfter: parseAmount("0.2") });
    expect(judgeCharge(budget("0.7"), parseAmount("0.3"))).toMatchObject({ kind: "accept", remainingAfter: 0n });
  });

  it("refuses one unit too much", () => {
    expect(judgeCharge(budget("0.7"), parseAmount("0.3") + 1n)).toEqual({ kind: "refuse", cost: parseAmount("0.3") + 1n, remaining: parseAmount("0.3") });
  });

  it("refuses with resource_exhausted naming the budget, the cost and what remains", () => {
    let thrown: unknown;
    try {
      requireCharge(budget("0.8"), parseAmount("0.5"), "release of sig-1/improvement_bp");
    } catch (e) {
      thrown = e;
    }
    expect(isOpmError(thrown, "resource_exhausted")).toBe(true);
    expect((thrown as Error).message).toBe(
      'privacy budget of participant "alice" for family "llvm/ir-instcount" (pure-dp) cannot pay for release of sig-1/improvement_bp: it costs ε 0.5, ε 0.2 of 1 remains',
    );
  });

  it("treats a total lowered below what was spent as nothing left", () => {
    expect(remainingOf(budget("0.8", "0.5"))).toBe(0n);
    expect(judgeCharge(budget("0.8", "0.5"), 0n)).toMatchObject({ kind: "refuse" });
  });

  it("knows a problem family when it sees one", () => {
    expect(requireFamily("llvm/ir-instcount")).toBe("llvm/ir-instcount");
    expect(() => requireFamily("llvm", "release.family")).toThrow(/`release.family`: problem family "llvm" is not <compiler>\/<objective>/);
    expect(() => requireFamily("LLVM/x")).toThrow(/not <compiler>\/<objective>/);
  });
});

import { describe, expect, it } from "vitest";
import type { Plan } from "../../kernel/plan/index.js";
import { ScreenSearch } from "./screen-search.js";
import { bestOf, planKey, type Evaluation } from "./strategy.js";

/** A toy size model: 100 at -Os, 96 at -Oz; `-fno-a` −5, `-fno-b` −3, `-fc` +4, everything else nothing. */
function size(plan: Plan): number {
  const effect: Record<string, number> = { "-fno-a": -5, "-fno-b": -3, "-fc": 4 };
  const level = plan.steps[0]!.pass === "-Oz" ? 96 : 100;
  return plan.steps.slice(1).reduce((v, s) => v + (effect[s.pass] ?? 0), level);
}

function run(budget: number): { history: Evaluation[]; search: ScreenSearch } {
  const moves = ["-fno-a", "-fno-b", "-fc", ...Array.from({ length: 20 }, (_, i) => `-fno-idle${i}`)].map((pass) => ({ pass }));
  const search = new ScreenSearch({ prefix: [{ pass: "-Os" }], alternatives: [[{ pass: "-Oz" }]], moves, maxSteps: 8 }, { seed: 3, budget });
  const history: Evaluation[] = [];
  while (history.length < budget) {
    const plans = search.next(history, Math.min(4, budget - history.length));
    if (plans.length === 0) break;
    history.push(...plans.map((plan) => ({ plan, value: size(plan) })));
  }
  return { history, search };
}

describe("ScreenSearch", () => {
  it("starts from the better level, drops moves that change nothing and combines the improving ones", () => {
    const { history, search } = run(60);
    expect(history.slice(0, 2).map((e) => planKey(e.plan))).toEqual(["-Os", "-Oz"]);
    const learned = search.learned();
    expect(learned.screened).toBe(23);
    expect(learned.improving.map((m) => m.pass)).toEqual(["-fno-a", "-fno-b"]);
    expect(learned.changing.map((m) => m.pass)).toEqual(["-fc"]);
    expect(bestOf(history)?.value).toBe(96 - 8);
    expect(planKey(bestOf(history)!.plan)).toBe("-Oz -fno-a -fno-b");
    // No plan after screening carries a move that was found to do nothing.
    expect(history.slice(25).every((e) => e.plan.steps.every((s) => !s.pass.includes("idle")))).toBe(true);
  });

  it("is deterministic and never proposes a plan twice", () => {
    const a = run(40).history.map((e) => planKey(e.plan));
    expect(run(40).history.map((e) => planKey(e.plan))).toEqual(a);
    expect(new Set(a).size).toBe(a.length);
  });

  it("screens in groups when the space is larger than the budget, and still finds the best combination", () => {
    const { history, search } = run(30);
    // room 30 − 2 levels − 10 reserve = 18 evaluations for 23 moves: groups of 2.
    expect(history.slice(2, 4).map((e) => planKey(e.plan))).toEqual(["-Oz -fno-a -fno-b", "-Oz -fc -fno-idle0"]);
    expect(search.learned().screened).toBe(23);
    expect(search.learned().changing.map((m) => m.pass)).toEqual(["-fc", "-fno-idle0"]);
    expect(bestOf(history)?.value).toBe(88);
  });
});

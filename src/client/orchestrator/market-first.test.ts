import { describe, expect, it } from "vitest";
import { planKey, type Plan, type SearchSpace } from "../../kernel/plan/index.js";
import { marketFirst, transferPlans } from "./market-first.js";
import { recordedSignalSource, type MarketSignal } from "./signal-source.js";
import type { Evaluation } from "./strategy.js";

const space: SearchSpace = {
  prefix: [{ pass: "default", value: "Oz" }],
  alternatives: [],
  moves: ["instcombine", "gvn", "sroa", "licm"].map((pass) => ({ pass })),
  maxSteps: 4,
};
const plan = (...passes: string[]): Plan => ({ steps: [...space.prefix, ...passes.map((pass) => ({ pass }))] });
const signal = (id: string, problemId: string, features: Record<string, number>, p: Plan, baseline: number, achieved: number): MarketSignal =>
  ({ signalId: id, problemId, compilerVersion: "14.0.6", features, plan: p, baseline, achieved });

const near = { loads: 10, stores: 5 };
const far = { calls: 40 };
const signals = [
  signal("s1", "far-problem", far, plan("gvn"), 100, 80), // the biggest gain, but on a dissimilar problem
  signal("s2", "near-problem", near, plan("instcombine"), 100, 95),
  signal("s3", "near-problem", near, plan("sroa"), 100, 90), // the near problem's best
  signal("s4", "other-near", { loads: 9, stores: 6 }, plan("licm"), 100, 100), // no gain: never transferred
  signal("s5", "odd-catalog", near, plan("not-offered"), 100, 50), // a pass this space lacks
  signal("s6", "too-long", near, plan("gvn", "sroa", "licm", "instcombine"), 100, 50), // longer than maxSteps
];

describe("transferPlans", () => {
  it("takes each other problem's best improving plan, nearest problems first, within the search space", () => {
    expect(transferPlans(signals, { loads: 20, stores: 10 }, space, 10).map(planKey)).toEqual([
      planKey(plan("sroa")),
      planKey(plan("gvn")),
    ]);
    expect(transferPlans(signals, { loads: 20, stores: 10 }, space, 1)).toHaveLength(1);
    expect(transferPlans([], near, space, 10)).toEqual([]);
  });
});

describe("market-first", () => {
  it("proposes the default, then the transferred plans, then random plans it has not tried", async () => {
    const strategy = await marketFirst.prepare({
      problem: { compiler: "llvm", compilerVersion: "14.0.6", objective: "ir-instcount", features: near, baseline: 100 },
      space, seed: 3, budget: { maxEvaluations: 10 }, signals: recordedSignalSource(signals),
    });
    const first = strategy.next([], 3);
    expect(first.map(planKey)).toEqual([planKey(plan()), planKey(plan("sroa")), planKey(plan("gvn"))]);
    const history: Evaluation[] = first.map((p) => ({ plan: p, value: 90 }));
    const later = strategy.next(history, 4);
    expect(later.length).toBeGreaterThan(0);
    expect(later.every((p) => !history.some((e) => planKey(e.plan) === planKey(p)))).toBe(true);
  });

  it("starts cold, as random search, when the market has nothing", async () => {
    const strategy = await marketFirst.prepare({
      problem: { compiler: "llvm", compilerVersion: "14.0.6", objective: "ir-instcount", features: near, baseline: 100 },
      space, seed: 3, budget: { maxEvaluations: 10 }, signals: recordedSignalSource([]),
    });
    expect(strategy.next([], 1).map(planKey)).toEqual([planKey(plan())]);
  });
});

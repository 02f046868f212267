import { describe, expect, it } from "vitest";
import { planKey, type Plan, type SearchSpace } from "../../kernel/plan/index.js";
import { buildPlanSet, DEFAULT_RANKING, rankPlans, type PlanRanking } from "../planset/index.js";
import { recordedSignalSource, type MarketSignal } from "./signal-source.js";
import type { Evaluation, StrategyContext } from "./strategy.js";
import { transfer, transferSearch } from "./transfer.js";

const Oz = { pass: "default", value: "Oz" };
const space: SearchSpace = { prefix: [Oz], alternatives: [], moves: ["gvn", "licm", "instcombine", "sroa", "dce"].map((pass) => ({ pass })), maxSteps: 5 };
let n = 0;
const signal = (problemId: string, passes: string[], achieved: number, features: Record<string, number>): MarketSignal =>
  ({ signalId: `s${n++}`, problemId, compilerVersion: "14.0.6", features, plan: { steps: [Oz, ...passes.map((pass) => ({ pass }))] }, baseline: 100, achieved });
const SIGNALS = [
  signal("a", ["gvn", "dce"], 90, { x: 1, y: 0 }), signal("a", ["licm"], 97, { x: 1, y: 0 }),
  signal("b", ["licm"], 90, { x: 0, y: 1 }), signal("b", ["unknown-pass"], 95, { x: 0, y: 1 }),
  signal("c", ["unknown-pass"], 80, { x: 1, y: 1 }), // selected, but not in this search space
];
const context = (seed = 1, features: Record<string, number> = { x: 0, y: 1 }): StrategyContext => ({
  problem: { compiler: "llvm", compilerVersion: "14.0.6", objective: "ir-instcount", features, baseline: 100 },
  space, seed, budget: { maxEvaluations: 30 }, signals: recordedSignalSource(SIGNALS),
});

/** Runs a strategy against a fake metric (fewer steps of "gvn"/"dce" is better) for `max` evaluations. */
function run(next: (h: readonly Evaluation[], max: number) => Plan[], max: number): Plan[] {
  const history: Evaluation[] = [];
  while (history.length < max) {
    const plans = next(history, Math.min(4, max - history.length));
    if (plans.length === 0) break;
    for (const plan of plans) history.push({ plan, value: 100 - plan.steps.filter((s) => s.pass === "gvn" || s.pass === "dce").length * 3 + plan.steps.length });
  }
  return history.map((e) => e.plan);
}

describe("transfer strategy", () => {
  it("tries the default, then the plan set ranked for the problem, then local moves", async () => {
    const s = await transfer.prepare(context());
    const plans = run((h, m) => s.next(h, m), 20);
    const keys = plans.map(planKey);
    // Nearest problem is b (licm); a plan naming a pass this space lacks is skipped.
    expect(keys.slice(0, 3)).toEqual(["default=Oz", "default=Oz licm", "default=Oz gvn dce"]);
    expect(keys).not.toContain("default=Oz unknown-pass");
    expect(new Set(keys).size).toBe(keys.length);
    expect(plans.every((p) => p.steps.length <= space.maxSteps && planKey({ steps: [p.steps[0]!] }) === "default=Oz")).toBe(true);
    // Local moves start from the best so far: one edit away from `default<Oz> gvn dce`.
    expect(keys[3]!.split(" ").length).toBeGreaterThanOrEqual(2);
  });

  it("is deterministic given seed, history and the plan set", async () => {
    const sA = await transfer.prepare(context(3)), sB = await transfer.prepare(context(3));
    expect(run((h, m) => sA.next(h, m), 25)).toEqual(run((h, m) => sB.next(h, m), 25));
    const sC = await transfer.prepare(context(4));
    const sD = await transfer.prepare(context(3));
    expect(run((h, m) => sC.next(h, m), 25).map(planKey)).not.toEqual(run((h, m) => sD.next(h, m), 25).map(planKey));
  });

  it("ranks by the problem's features, and refuses a plan set of another version", () => {
    const set = buildPlanSet(SIGNALS, { compiler: "llvm", objective: "ir-instcount" });
    const nearA = run((h, m) => transferSearch(context(1, { x: 1, y: 0 }), set).next(h, m), 2).map(planKey);
    expect(nearA).toEqual(["default=Oz", "default=Oz gvn dce"]);
    const other = { ...context(), problem: { ...context().problem, compilerVersion: "15.0.0" } };
    expect(() => transferSearch(other, set)).toThrow(/another compiler version/);
  });

  it("starts from the default alone with an empty market", async () => {
    const s = await transfer.prepare({ ...context(), signals: recordedSignalSource([]) });
    const plans = run((h, m) => s.next(h, m), 10);
    expect(planKey(plans[0]!)).toBe("default=Oz");
    expect(plans).toHaveLength(10);
  });

  it("tries the plan set's runner-ups (chosen past coverage saturation) before local moves", async () => {
    // sroa is second-best on a and b: the covering plans leave nothing for it to add, so only a
    // set grown past saturation holds it, and the search tries it right after them.
    const signals = [...SIGNALS, signal("a", ["sroa"], 93, { x: 1, y: 0 }), signal("b", ["sroa"], 94, { x: 0, y: 1 })];
    const s = await transfer.prepare({ ...context(), signals: recordedSignalSource(signals) });
    const keys = run((h, m) => s.next(h, m), 4).map(planKey);
    // Ranked for a problem like b (where sroa is the runner-up), ahead of a's gvn dce; unknown-pass is not in this space.
    expect(keys).toEqual(["default=Oz", "default=Oz licm", "default=Oz sroa", "default=Oz gvn dce"]);
    const saturated = buildPlanSet(signals, { compiler: "llvm", objective: "ir-instcount", growPastCoverage: false });
    expect(saturated.plans.map((p) => p.steps.map((st) => st.pass).join(" "))).not.toContain("default sroa");
  });

  it("ranks by DEFAULT_RANKING unless told, and by the learned model when asked", () => {
    const signals = [...SIGNALS, signal("d", ["sroa"], 85, { x: 3, y: 0.2 }), signal("d", ["gvn", "dce"], 99, { x: 3, y: 0.2 })];
    const set = buildPlanSet(signals, { compiler: "llvm", objective: "ir-instcount" });
    const features = { x: 2, y: 0.1 };
    const first = (ranking?: PlanRanking) => run((h, m) => (ranking === undefined ? transferSearch(context(1, features), set) : transferSearch(context(1, features), set, ranking)).next(h, m), 1 + set.plans.length).map(planKey);
    const expected = (ranking: "nearest" | "model") => ["default=Oz", ...rankPlans(set, features, ranking).map(planKey).filter((k) => !k.includes("unknown-pass"))];
    expect(first()).toEqual(first(DEFAULT_RANKING));
    expect(first("model").slice(0, expected("model").length)).toEqual(expected("model"));
    expect(first("nearest").slice(0, expected("nearest").length)).toEqual(expected("nearest"));
  });
});

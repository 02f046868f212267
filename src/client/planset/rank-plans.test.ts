import { describe, expect, it } from "vitest";
import { planKey } from "../../kernel/plan/index.js";
import type { MarketSignal } from "../orchestrator/signal-source.js";
import { buildPlanSet, fitPlanScoreModel } from "./index.js";
import { rankPlans } from "./rank-plans.js";

const Oz = { pass: "default", value: "Oz" };
const plan = (pass: string) => ({ steps: [Oz, { pass }] });
let n = 0;
const signal = (problemId: string, features: Record<string, number>, pass: string, achieved: number): MarketSignal =>
  ({ signalId: `s${n++}`, problemId, compilerVersion: "14.0.6", features, plan: plan(pass), baseline: 100, achieved });

// Loop-heavy problems like licm, call-heavy ones like inline; two loop problems make licm... cover more.
const LOOPS = { loads: 10, loops: 90, calls: 1 };
const CALLS = { loads: 10, loops: 1, calls: 90 };
const set = buildPlanSet([
  signal("loop1", LOOPS, "licm", 90), signal("loop1", LOOPS, "inline", 99),
  signal("loop2", LOOPS, "licm", 92),
  signal("call1", CALLS, "inline", 90), signal("call1", CALLS, "licm", 100),
], { compiler: "llvm", objective: "ir-instcount" });
const keys = (plans: ReturnType<typeof rankPlans>) => plans.map((p) => planKey(p));

describe("rankPlans", () => {
  it("keeps selection order unweighted", () => {
    expect(keys(rankPlans(set, CALLS, "selection"))).toEqual(["default=Oz licm", "default=Oz inline"]);
  });

  it("puts first what the most similar problems liked", () => {
    expect(keys(rankPlans(set, { loads: 11, loops: 2, calls: 80 }, "nearest", 1))).toEqual(["default=Oz inline", "default=Oz licm"]);
    expect(keys(rankPlans(set, { loads: 9, loops: 70, calls: 3 }, "nearest", 1))).toEqual(["default=Oz licm", "default=Oz inline"]);
  });

  it("falls back to selection order when nothing is similar", () => {
    expect(keys(rankPlans(set, {}, "nearest"))).toEqual(["default=Oz licm", "default=Oz inline"]);
    expect(keys(rankPlans(set, { other: 5 }, "nearest"))).toEqual(["default=Oz licm", "default=Oz inline"]);
  });
});

describe("rankPlans by a learned model", () => {
  // Six problems of different sizes: three loop-heavy, where licm is the best and inline does
  // little, three call-heavy, the other way round. Loop and call counts tell them apart; the
  // sizes (loads) vary across both kinds and tell nothing.
  const loopy = (id: string, size: number) => [signal(id, { loads: size, loops: 40 + size / 10, calls: 2 }, "licm", 90), signal(id, { loads: size, loops: 40 + size / 10, calls: 2 }, "inline", 98)];
  const cally = (id: string, size: number) => [signal(id, { loads: size, loops: 2, calls: 40 + size / 10 }, "inline", 88), signal(id, { loads: size, loops: 2, calls: 40 + size / 10 }, "licm", 99)];
  const six = buildPlanSet([...loopy("L1", 10), ...loopy("L2", 200), ...loopy("L3", 3000), ...cally("C1", 15), ...cally("C2", 300), ...cally("C3", 2500)], { compiler: "llvm", objective: "ir-instcount" });

  it("puts first the plan the model predicts for problems like the new one", () => {
    expect(keys(rankPlans(six, { loads: 800, loops: 120, calls: 3 }, "model"))[0]).toBe("default=Oz licm");
    expect(keys(rankPlans(six, { loads: 800, loops: 3, calls: 120 }, "model"))[0]).toBe("default=Oz inline");
    const model = fitPlanScoreModel(six)!;
    const licm = six.plans.findIndex((p) => p.steps[1]!.pass === "licm");
    const [onLoops, onCalls] = [model.predict({ loads: 800, loops: 120, calls: 3 }), model.predict({ loads: 800, loops: 3, calls: 120 })];
    expect(onLoops[licm]!).toBeGreaterThan(onCalls[licm]!);
  });

  it("is a function of the set and the features (the same ranking every time)", () => {
    const f = { loads: 77, loops: 30, calls: 25 };
    expect(keys(rankPlans(six, f, "model"))).toEqual(keys(rankPlans(buildPlanSet([...loopy("L1", 10), ...loopy("L2", 200), ...loopy("L3", 3000), ...cally("C1", 15), ...cally("C2", 300), ...cally("C3", 2500)].reverse(), { compiler: "llvm", objective: "ir-instcount" }), f, "model")));
    expect(fitPlanScoreModel(six)!.predict(f)).toEqual(fitPlanScoreModel(six)!.predict(f));
  });

  it("falls back to selection order when there is nothing to learn from", () => {
    expect(keys(rankPlans(six, {}, "model"))).toEqual(keys(rankPlans(six, {}, "selection")));
    const one = buildPlanSet([signal("only", LOOPS, "licm", 90), signal("only", LOOPS, "inline", 95)], { compiler: "llvm", objective: "ir-instcount" });
    expect(fitPlanScoreModel(one)).toBeUndefined();
    expect(keys(rankPlans(one, CALLS, "model"))).toEqual(keys(rankPlans(one, CALLS, "selection")));
  });
});

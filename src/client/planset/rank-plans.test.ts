import { describe, expect, it } from "vitest";
import { planKey } from "../../kernel/plan/index.js";
import type { MarketSignal } from "../orchestrator/signal-source.js";
import { buildPlanSet } from "./index.js";
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

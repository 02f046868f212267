import { describe, expect, it } from "vitest";
import { EnsembleSearch, ensembleSearch, LocalSearch, RandomSearch, bestOf, planKey, recordedSignalSource, type Evaluation, type MarketSignal, type Strategy, type StrategyContext } from "../src/client/orchestrator/index.js";
import { applyPlanEdit, headLength, planEditOutsideSpace, type Plan, type SearchSpace } from "../src/kernel/plan/index.js";

/**
 * Local search and the bandit ensemble on small synthetic landscapes (no compiler: the
 * real runs are test/ensemble-optimize.test.ts and bench/search). A landscape is a pure
 * function of the plan, so every run here is deterministic.
 */

const llvmLike: SearchSpace = {
  prefix: [{ pass: "default", value: "Oz" }], alternatives: [], maxSteps: 12,
  moves: Array.from({ length: 60 }, (_, i) => ({ pass: `p${i}` })),
};
/** Flags: an alternative level, on/off flags and one enumerated option with three values. */
const gccLike: SearchSpace = {
  prefix: [{ pass: "-Os" }], alternatives: [[{ pass: "-Oz" }]], maxSteps: 8,
  moves: [...Array.from({ length: 30 }, (_, i) => ({ pass: `-fno-f${i}` })), ...["a", "b", "c"].map((v) => ({ pass: "-fopt", value: v }))],
};

/** Order matters: p11 enables p30 after it; p50 helps only last; every seventh pass costs one. */
function ordered(plan: Plan): number {
  let v = 1000, enabled = false;
  const names = plan.steps.slice(1).map((s) => s.pass);
  names.forEach((n, i) => {
    if (Number(n.slice(1)) % 7 === 0) v += 1;
    if (n === "p11") enabled = true;
    if (enabled && n === "p30") v -= 6;
    if (n === "p50" && i === names.length - 1) v -= 4;
    if (n === "p3") v -= 2;
  });
  return v;
}

/** A set of flags: four of them help, one value of the option helps, order never matters, -Oz is a bit smaller. */
function flags(plan: Plan): number {
  const keys = new Set(plan.steps.map((s) => planKey({ steps: [s] })));
  let v = keys.has("-Oz") ? 990 : 1000;
  for (const f of ["-fno-f2", "-fno-f9", "-fno-f17", "-fno-f25"]) if (keys.has(f)) v -= 5;
  if (keys.has("-fopt=b")) v -= 3;
  return v;
}

/** Runs a strategy as runSearch does: batches of `batch`, each evaluated before the next call. Returns the history and the batches. */
function drive(s: Strategy, f: (p: Plan) => number, budget: number, batch = 4): { history: Evaluation[]; batches: Plan[][] } {
  const history: Evaluation[] = [];
  const batches: Plan[][] = [];
  while (history.length < budget) {
    const plans = s.next(history, Math.min(batch, budget - history.length));
    if (plans.length === 0) break;
    batches.push(plans);
    for (const plan of plans) history.push({ plan, value: f(plan) });
  }
  return { history, batches };
}

function expectWithinSpace(plans: readonly Plan[], space: SearchSpace): void {
  const moves = new Set(space.moves.map((m) => planKey({ steps: [m] })));
  for (const plan of plans) {
    const head = headLength(plan, space);
    expect(head, planKey(plan)).toBeGreaterThan(0);
    expect(plan.steps.length, planKey(plan)).toBeLessThanOrEqual(space.maxSteps);
    for (const step of plan.steps.slice(head)) expect(moves.has(planKey({ steps: [step] })), planKey(plan)).toBe(true);
  }
}

describe("LocalSearch", () => {
  it("proposes only plans of the space, each one PlanDelta from the plan it names, and never the same plan twice", () => {
    for (const [space, f] of [[llvmLike, ordered], [gccLike, flags]] as const) {
      const s = new LocalSearch(space, { seed: 7 });
      const { history } = drive(s, f, 150);
      expect(history.length).toBe(150);
      expectWithinSpace(history.map((e) => e.plan), space);
      expect(new Set(history.map((e) => planKey(e.plan))).size).toBe(history.length);
      let deltas = 0;
      for (const e of history) {
        const p = s.proposalOf(e.plan);
        if (p === undefined) continue;
        // Each delta applies to the plan the ones before it made, within the space; together they make the plan.
        let plan = p.parent;
        for (const d of p.deltas) {
          expect(planEditOutsideSpace(plan, d, space)).toBeUndefined();
          expect(d.evidence.summary).not.toBe("");
          plan = applyPlanEdit(plan, d);
          deltas++;
        }
        expect(planKey(plan)).toBe(planKey(e.plan));
      }
      expect(deltas).toBeGreaterThan(100);
    }
  });

  it("is deterministic given the seed and the histories it is called with", () => {
    const a = drive(new LocalSearch(llvmLike, { seed: 3 }), ordered, 80).batches;
    const b = drive(new LocalSearch(llvmLike, { seed: 3 }), ordered, 80).batches;
    const c = drive(new LocalSearch(llvmLike, { seed: 4 }), ordered, 80).batches;
    expect(b.map((x) => x.map(planKey))).toEqual(a.map((x) => x.map(planKey)));
    expect(c.map((x) => x.map(planKey))).not.toEqual(a.map((x) => x.map(planKey)));
  });

  it("keeps improving where the order of steps matters, beyond random search at the same budget", () => {
    const local: number[] = [], random: number[] = [];
    for (let seed = 1; seed <= 6; seed++) {
      local.push(bestOf(drive(new LocalSearch(llvmLike, { seed }), ordered, 150).history)!.value!);
      random.push(bestOf(drive(new RandomSearch(llvmLike, seed), ordered, 150).history)!.value!);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(local)).toBeLessThan(mean(random));
    expect(Math.min(...local)).toBeLessThanOrEqual(990); // p11 … p30 found and kept
  });

  it("starts with the default and its alternative levels, learns that flag order does not matter, and tries other values of a valued option", () => {
    const s = new LocalSearch(gccLike, { seed: 5 });
    const { history, batches } = drive(s, flags, 120);
    expect(batches[0]!.slice(0, 2).map(planKey)).toEqual(["-Os", "-Oz"]);
    const swaps = history.map((e) => s.proposalOf(e.plan)).filter((p) => p?.kind === "swap");
    expect(swaps.length).toBeLessThanOrEqual(2); // two swaps that change nothing, then none
    const best = bestOf(history)!;
    expect(best.value).toBeLessThanOrEqual(990 - 15);
    expect(history.some((e) => planKey(e.plan).includes("-fopt=b"))).toBe(true);
  });

  it("cites its own evaluations as evidence: a removal names the evaluation where adding the step changed nothing", () => {
    const s = new LocalSearch(llvmLike, { seed: 2 });
    const { history } = drive(s, ordered, 150);
    const removals = history.map((e) => s.proposalOf(e.plan)?.deltas[0]).filter((d) => d?.kind === "remove" && d.evidence.evaluations.length > 0);
    expect(removals.length).toBeGreaterThan(0);
    for (const r of removals) {
      const at = r!.evidence.evaluations[0]!;
      expect(r!.evidence.summary).toContain(`made no difference in evaluation ${at}`);
      expect(at).toBeLessThan(history.length);
    }
  });
});

describe("EnsembleSearch", () => {
  const context = (space: SearchSpace, signals: MarketSignal[] = []): StrategyContext => ({
    problem: { compiler: "llvm", compilerVersion: "14.0.6", objective: "ir-instcount", features: { a: 1, b: 2 }, baseline: 1000 },
    space, seed: 11, budget: { maxEvaluations: 60 }, signals: recordedSignalSource(signals),
  });
  /** Two other problems where "p11 p30" and "p3" improved: a plan set of two plans and hints. */
  const market: MarketSignal[] = [
    { signalId: "s1", problemId: "q1", compilerVersion: "14.0.6", features: { a: 1, b: 2 }, plan: { steps: [{ pass: "default", value: "Oz" }, { pass: "p11" }, { pass: "p30" }] }, baseline: 500, achieved: 480 },
    { signalId: "s2", problemId: "q2", compilerVersion: "14.0.6", features: { a: 2, b: 1 }, plan: { steps: [{ pass: "default", value: "Oz" }, { pass: "p3" }] }, baseline: 300, achieved: 297 },
    { signalId: "s3", problemId: "q3", compilerVersion: "13.0.0", features: { a: 1, b: 2 }, plan: { steps: [{ pass: "default", value: "Oz" }, { pass: "p1" }] }, baseline: 300, achieved: 290 },
  ];

  it("re-driven over a recorded run, proposes exactly the recorded plans (what a resumed campaign does)", async () => {
    const first = await ensembleSearch.prepare(context(llvmLike, market));
    const { history, batches } = drive(first, ordered, 60);
    const again = await ensembleSearch.prepare(context(llvmLike, market));
    let seen = 0;
    for (const batch of batches) {
      expect(again.next(history.slice(0, seen), batch.length).map(planKey)).toEqual(batch.map(planKey));
      seen += batch.length;
    }
    // And it goes on exactly as the uninterrupted run would.
    const next = first.next(history, 4).map(planKey);
    expect(again.next(history, 4).map(planKey)).toEqual(next);
  });

  it("starts with the default, puts the market's plan set to work, and stays within the space without repeating a plan", async () => {
    const s = await ensembleSearch.prepare(context(gccLike)) as EnsembleSearch;
    const { history, batches } = drive(s, flags, 100);
    expect(batches[0]!.slice(0, 2).map(planKey)).toEqual(["-Os", "-Oz"]);
    expectWithinSpace(history.map((e) => e.plan), gccLike);
    expect(new Set(history.map((e) => planKey(e.plan))).size).toBe(history.length);

    const withMarket = await ensembleSearch.prepare(context(llvmLike, market)) as EnsembleSearch;
    const run = drive(withMarket, ordered, 12);
    const fromMarket = run.history.filter((e) => withMarket.attributionOf(e.plan)?.technique === "transfer").map((e) => planKey(e.plan));
    expect(fromMarket.sort()).toEqual(["default=Oz p11 p30", "default=Oz p3"]); // never the other compiler version's plan
    expect(bestOf(run.history)!.value).toBeLessThanOrEqual(994);
  });

  it("credits a technique exactly when its plan is smaller than everything evaluated before it", async () => {
    const s = await ensembleSearch.prepare(context(llvmLike, market)) as EnsembleSearch;
    const { history } = drive(s, ordered, 80);
    const expected: Record<string, { uses: number; successes: number }> = {};
    for (const arm of s.bandit.arms) expected[arm] = { uses: 0, successes: 0 };
    let best = Infinity;
    for (const e of history) {
      const technique = s.attributionOf(e.plan)!.technique;
      if (technique !== "start") {
        expected[technique]!.uses++;
        if (best !== Infinity && e.value! < best) expected[technique]!.successes++;
      }
      best = Math.min(best, e.value!);
    }
    s.next(history, 1); // credit is read from the history on the next call
    expect(s.bandit.tally()).toEqual(expected);
    expect(Object.values(expected).reduce((n, t) => n + t.successes, 0)).toBeGreaterThan(0);
    // Local search's plans carry their delta and evidence.
    const local = history.map((e) => s.attributionOf(e.plan)).filter((a) => a?.technique === "local");
    expect(local.length).toBeGreaterThan(0);
    expect(local.every((a) => a!.proposal !== undefined && a!.proposal.deltas.every((d) => d.evidence.summary !== ""))).toBe(true);
  });

  it("with evaluations still pending (a caller that does not wait), proposes new plans and never one already proposed", () => {
    const s = new EnsembleSearch(llvmLike, 1);
    const proposed = [...s.next([], 4), ...s.next([], 4), ...s.next([], 4)];
    expect(proposed.length).toBe(12);
    expect(new Set(proposed.map(planKey)).size).toBe(12);
    expectWithinSpace(proposed, llvmLike);
  });
});

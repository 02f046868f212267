import { create } from "@bufbuild/protobuf";
import { PlanSetSchema, type PlanSet } from "../../gen/openpassmarket/v1/planset_pb.js";
import { contentId } from "../codec/index.js";
import { OpmError } from "../errors/index.js";
import { compilerToProto, objectiveToProto, planFromProto, planKey, type CompilerKind, type Objective, type Plan } from "../plan/index.js";
import { selectPlansSparse } from "./select-plans.js";

/**
 * One accepted result a plan set may learn from: a public problem's signal as measured, or
 * a private problem's release read as a relative metric (baseline 10000, achieved 10000 −
 * the released improvement in basis points). The client's `MarketSignal` has this shape.
 */
export interface PlanSetSignal {
  signalId: string;
  problemId: string;
  compilerVersion: string;
  features: Readonly<Record<string, number>>;
  plan: Plan;
  baseline: number;
  achieved: number;
}

/** What a plan set is built for. */
export interface PlanSetTarget {
  compiler: CompilerKind;
  objective: Objective;
  /** Exact compiler version; default: the version most of the signals carry (the greatest among equals). */
  compilerVersion?: string;
  /** Most plans kept; default 50. */
  maxPlans?: number;
  /**
   * Whether the set grows past coverage saturation (`selectPlans`'s "next-layer"): once its
   * plans reach the best known result on every problem they can, the next-best plans are
   * chosen the same way among those left, up to `maxPlans`. Default true.
   */
  growPastCoverage?: boolean;
}

/**
 * The default size of a plan set: Coreset-NVP's 50 sequences, about a search's usual
 * evaluation budget (45–60), so a new problem can try the whole set in its nearest
 * problems' order. Plans past saturation are alternatives: a plan that was best on a
 * similar problem may not carry over, and its runner-up is the next thing to try.
 */
export const DEFAULT_MAX_PLANS = 50;

/**
 * Builds the (unsigned) plan set of `target` from `signals` — results the market verified
 * and accepted (the registry node's view of a third party, or a client's `SignalSource`; all for `target`'s compiler and
 * objective). Per problem, each plan's improvement over the baseline is divided by the
 * best improvement any plan reached there (capped at 1); problems no plan improved are
 * left out; then `selectPlans` keeps at most `maxPlans` plans, past coverage saturation
 * unless `growPastCoverage` is false. Deterministic: the same
 * signals, in any order, give the same bytes and so the same version (`planSetVersion`).
 * Throws failed_precondition when no signal of the version improved anything.
 */
export function buildPlanSet(signals: readonly PlanSetSignal[], target: PlanSetTarget): PlanSet {
  const maxPlans = target.maxPlans ?? DEFAULT_MAX_PLANS;
  if (!Number.isInteger(maxPlans) || maxPlans < 1) throw new OpmError("invalid_argument", `max plans must be a positive integer, got ${maxPlans}`, { field: "max_plans" });
  const version = target.compilerVersion ?? commonestVersion(signals);
  const used = signals
    .filter((s) => s.compilerVersion === version && s.baseline > 0 && s.achieved > 0 && Number.isFinite(s.baseline) && Number.isFinite(s.achieved))
    .sort((a, b) => (a.signalId < b.signalId ? -1 : a.signalId > b.signalId ? 1 : 0));

  // Per problem: its baseline, features and the best value of each plan (first signal by id wins ties).
  const problems = new Map<string, { baseline: number; features: Readonly<Record<string, number>>; best: Map<string, number> }>();
  const planOf = new Map<string, Plan>();
  for (const s of used) {
    let p = problems.get(s.problemId);
    if (p === undefined) problems.set(s.problemId, (p = { baseline: s.baseline, features: s.features, best: new Map() }));
    const key = planKey(s.plan);
    if (!planOf.has(key)) planOf.set(key, planFromProto(s.plan.steps));
    const held = p.best.get(key);
    if (held === undefined || s.achieved < held) p.best.set(key, s.achieved);
  }
  const problemIds = [...problems.keys()].filter((id) => bestImprovement(problems.get(id)!) > 0).sort();
  if (problemIds.length === 0) {
    throw new OpmError("failed_precondition", `no accepted signal of ${target.compiler} ${version || "(no version)"} ${target.objective} improved on its baseline (${signals.length} signals seen, ${used.length} of this version)`);
  }
  const candidates = [...planOf.keys()].sort();
  const indexOf = new Map(candidates.map((key, c) => [key, c]));
  // Sparse scores: a plan has a score only where it was measured (problems in ascending order).
  const rows = candidates.map(() => ({ p: [] as number[], s: [] as number[] }));
  problemIds.forEach((id, p) => {
    const problem = problems.get(id)!;
    const best = bestImprovement(problem);
    for (const key of problem.best.keys()) {
      const score = normalisedImprovement(problem, key, best);
      if (score > 0) {
        const row = rows[indexOf.get(key)!]!;
        row.p.push(p);
        row.s.push(score);
      }
    }
  });
  const chosen = selectPlansSparse({ candidates, problems: problemIds.length, rows }, maxPlans, { afterSaturation: target.growPastCoverage === false ? "stop" : "next-layer" });
  const scoreOf = (c: number, p: number): number => {
    const row = rows[c]!;
    const i = row.p.indexOf(p);
    return i === -1 ? 0 : row.s[i]!;
  };

  const taught = new Set(problemIds);
  const ids = used.filter((s) => taught.has(s.problemId)).map((s) => `${s.signalId}\n`).join("");
  return create(PlanSetSchema, {
    compiler: compilerToProto(target.compiler),
    compilerVersion: version,
    objective: objectiveToProto(target.objective),
    plans: chosen.map((c) => ({ steps: planOf.get(candidates[c.index]!)!.steps.map((st) => ({ pass: st.pass, value: st.value ?? "" })), gain: c.gain })),
    problems: problemIds.map((id, p) => ({
      problemId: id,
      features: Object.entries(problems.get(id)!.features).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value })),
      scores: chosen.map((c) => scoreOf(c.index, p)),
    })),
    maxPlans,
    signalCount: ids === "" ? 0 : ids.split("\n").length - 1,
    signalsDigest: contentId(new TextEncoder().encode(ids)),
    // What the set reaches: Σ over problems of its best score there (plans past saturation add nothing to it).
    coverage: problemIds.reduce((sum, _, p) => sum + Math.max(0, ...chosen.map((c) => scoreOf(c.index, p))), 0),
  });
}

type ProblemResults = { baseline: number; best: Map<string, number> };

function improvement(p: ProblemResults, achieved: number): number {
  return (p.baseline - achieved) / p.baseline;
}

function bestImprovement(p: ProblemResults): number {
  let best = 0;
  for (const v of p.best.values()) best = Math.max(best, improvement(p, v));
  return best;
}

/** The plan's improvement on the problem over the best known there, in [0, 1]; 0 when not measured. */
function normalisedImprovement(p: ProblemResults, key: string, best: number): number {
  const achieved = p.best.get(key);
  if (achieved === undefined) return 0;
  const share = improvement(p, achieved) / best;
  return share <= 0 ? 0 : Math.min(1, share);
}

/** The compiler version most signals carry; the greatest string among equals; "" when there are none. */
function commonestVersion(signals: readonly PlanSetSignal[]): string {
  const counts = new Map<string, number>();
  for (const s of signals) counts.set(s.compilerVersion, (counts.get(s.compilerVersion) ?? 0) + 1);
  let best = "";
  let n = 0;
  for (const [v, c] of counts) if (c > n || (c === n && v > best)) [best, n] = [v, c];
  return best;
}

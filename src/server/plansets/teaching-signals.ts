import { fromBinary } from "@bufbuild/protobuf";
import type { Compiler, Objective } from "../../gen/openpassmarket/v1/common_pb.js";
import { PerformanceSignalSchema, SignalStatus } from "../../gen/openpassmarket/v1/signal_pb.js";
import { planFromProto } from "../../kernel/plan/index.js";
import { releasedMetrics, type PlanSetSignal } from "../../kernel/planset/index.js";
import { IMPROVEMENT_BP, readRelease } from "../privacy/index.js";
import { marketViewOf } from "../registry/market-view.js";
import type { ProblemCache } from "../registry/problem-cache.js";
import { signalStatusText } from "../registry/signal-status.js";
import type { CallContext } from "../rpc/index.js";

/** The most signals one build reads. */
export const MAX_TEACHING_SIGNALS = 200_000;

/** Nobody's name: `marketViewOf` then shows what every participant may see of every problem. */
const THIRD_PARTY = "";

/**
 * What may teach a plan set the node builds: its ACCEPTED signals (verified, and past the
 * spot checks that could refuse them) on problems of `compiler` and `objective`, seen as a
 * third party sees them through `marketViewOf` — a public problem's as measured, a private
 * problem's only when released, as a relative metric (`releasedMetrics`: the improvement
 * clamped to its range; the same reading the client's signal source makes).
 * Never a provisional or refused signal, never a private problem's exact metric.
 * Oldest first, at most MAX_TEACHING_SIGNALS.
 */
export async function teachingSignals(ctx: CallContext, problems: ProblemCache, compiler: Compiler, objective: Objective): Promise<PlanSetSignal[]> {
  const rows = await ctx.db.selectFrom("signals").innerJoin("problems", "problems.id", "signals.problem_id")
    .select(["signals.id", "signals.problem_id", "signals.body"])
    .where("signals.status", "=", signalStatusText(SignalStatus.ACCEPTED))
    .where("problems.compiler", "=", compiler).where("problems.objective", "=", objective)
    .orderBy("signals.created_at_ms").orderBy("signals.id").limit(MAX_TEACHING_SIGNALS).execute();
  const out: PlanSetSignal[] = [];
  for (const row of rows) {
    const problem = await problems.get(ctx, row.problem_id, "problem_id");
    const view = marketViewOf(problem, THIRD_PARTY);
    if (view.kind === "withheld") continue;
    const s = fromBinary(PerformanceSignalSchema, row.body);
    let metrics: { baseline: number; achieved: number };
    if (view.kind === "exact") metrics = { baseline: s.baseline, achieved: s.achieved };
    else {
      const release = await readRelease(ctx.db, row.id, IMPROVEMENT_BP);
      if (release === undefined) continue;
      metrics = releasedMetrics(release.value, release.clamp.min, release.clamp.max);
    }
    out.push({
      signalId: row.id, problemId: row.problem_id, compilerVersion: s.compilerVersion,
      features: Object.fromEntries(view.features.map((f) => [f.name, f.value])),
      plan: planFromProto(s.pipeline),
      ...metrics,
    });
  }
  return out;
}

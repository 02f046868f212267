import { compilerName, objectiveFromProto, parseCompiler, planFromProto } from "../../kernel/plan/index.js";
import { planSetVersion } from "../../kernel/planset/index.js";
import type { LoadedPlanSet, MarketSignal, SignalSource } from "../orchestrator/signal-source.js";
import type { RecordedLog } from "./recorded-log.js";

/** What the market looked like to a search, rebuilt from a log. */
export interface RecordedMarketView {
  /** The participant searching: its own problems are not "the market". */
  participant: string;
  /** Only signals measured up to this time (a campaign's start); undefined: all. */
  untilMs?: number;
  /** The plan set version the search used ("" or undefined: the newest in the log for its chain). */
  planSetVersion?: string;
}

/**
 * A signal source over a recorded log, as the registry's was for `view.participant`: the
 * accepted signals of other participants' public problems (ordered by measurement time,
 * then id — the registry orders by its own acceptance time, so a strategy that depends on
 * that order may see a slightly different list), and the plan sets the log carries (the
 * campaign's version, else the newest built for the chain). Private problems' releases
 * cannot be used offline: the log does not carry their plans.
 */
export function recordedMarket(log: RecordedLog, view: RecordedMarketView): SignalSource {
  return {
    async list({ compiler, objective, max = 5000 }) {
      const out: Array<MarketSignal & { at: bigint }> = [];
      for (const s of log.signals.values()) {
        if (s.status !== "accepted") continue;
        const problem = log.problems.get(s.signal.problemId);
        if (problem === undefined || problem.participant === "" || problem.participant === view.participant) continue;
        if (compilerName(problem.compiler) !== compiler || objectiveFromProto(problem.objective) !== objective) continue;
        if (view.untilMs !== undefined && Number(s.signal.measuredAtMs) > view.untilMs) continue;
        out.push({
          signalId: s.signalId, problemId: s.signal.problemId, compilerVersion: s.signal.compilerVersion,
          features: Object.fromEntries(problem.features.map((f) => [f.name, f.value])),
          plan: planFromProto(s.signal.pipeline),
          baseline: s.signal.baseline, achieved: s.signal.achieved, at: s.signal.measuredAtMs,
        });
      }
      out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.signalId < b.signalId ? -1 : a.signalId > b.signalId ? 1 : 0));
      return out.slice(0, max).map(({ at: _at, ...s }) => s);
    },
    async newestPlanSet(query) {
      const wanted = query.version ?? view.planSetVersion ?? "";
      let found = wanted === "" ? undefined : log.planSets.get(wanted);
      if (wanted === "") {
        // The log does not say which is newest; the chain's sets carry no sequence of their own,
        // so the last one the log holds for the chain in signal-count order stands in.
        const chain = [...log.planSets.values()].filter((p) => parseCompiler(compilerName(p.compiler)) === query.compiler
          && p.compilerVersion === query.compilerVersion && objectiveFromProto(p.objective) === query.objective);
        found = chain.sort((a, b) => a.signalCount - b.signalCount).at(-1);
      }
      if (found === undefined) return undefined;
      const loaded: LoadedPlanSet = { planSet: found, version: planSetVersion(found), keyId: found.signature?.keyId ?? "" };
      return loaded;
    },
  };
}

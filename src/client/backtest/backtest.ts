import type { Campaign } from "../../gen/openpassmarket/v1/campaign_pb.js";
import { Visibility, type LocalProblem } from "../../gen/openpassmarket/v1/problem_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import { compilerName, objectiveFromProto, parseCompiler, planKey, type Plan, type SearchSpace } from "../../kernel/plan/index.js";
import type { StrategyContext, StrategyDefinition } from "../orchestrator/strategy.js";
import { reproduceCampaign, type Reproduction } from "./reproduce-campaign.js";
import { recordedMarket } from "./recorded-market.js";
import type { RecordedLog } from "./recorded-log.js";
import { runBacktest, type BacktestResult } from "./run-backtest.js";

/** What the backtest needs from the machine it runs on (the CLI gives the local toolchain). */
export interface BacktestHost {
  /** The search space of `problem` (the compiler's catalog, objective and step limit), as `opm optimize` makes it. */
  spaceOf(problem: LocalProblem): Promise<SearchSpace>;
  /** Evaluates a plan on a public problem's recorded IR (`--evaluate`); undefined when it fails. */
  evaluate?(problem: LocalProblem, plan: Plan): Promise<number | undefined>;
}

export interface BacktestOptions {
  log: RecordedLog;
  strategy: StrategyDefinition;
  /** The problem to search; default: the only one the log holds evaluations of (else the one with the most, named in the error). */
  problemId?: string;
  /** Default: the recorded campaign's seed, else 1. */
  seed?: number;
  /** Default: the recorded campaign's budget, else as many as the log evaluated on the problem. */
  maxEvaluations?: number;
  /** Default: the recorded campaign's, else 4. */
  batchSize?: number;
}

export interface BacktestReport {
  problemId: string;
  compiler: string;
  compilerVersion: string;
  objective: string;
  baseline: number;
  strategy: string;
  seed: number;
  maxEvaluations: number;
  batchSize: number;
  /** Plans the log holds for the problem. */
  recordedPlans: number;
  /** The recorded campaign of the same strategy this run is compared with, if any. */
  campaign?: { id: string; strategy: string; seed: number; batches: number; planSetVersion: string };
  /** With the recorded strategy and seed: whether every decision of the campaign was made again. */
  reproduction?: Reproduction;
  result: BacktestResult;
}

/**
 * Re-runs a search offline against the recorded evaluations of one problem of a verified
 * delta log (see `runBacktest`). When the log holds a campaign of the same strategy on the
 * problem, it is the reference: its seed, budget, batch size and plan set are the
 * defaults, the market is what the log shows of it at the campaign's start, and, with the
 * campaign's own strategy and seed, `reproduceCampaign` checks every recorded decision.
 */
export async function backtest(options: BacktestOptions, host: BacktestHost): Promise<BacktestReport> {
  const { log, strategy } = options;
  const problemId = options.problemId ?? soleProblem(log);
  const problem = log.problems.get(problemId);
  if (problem === undefined) throw new OpmError("not_found", `the log holds no problem ${problemId}`, { field: "problem" });
  if (problem.visibility !== Visibility.PUBLIC) throw new OpmError("failed_precondition", `problem ${problemId} is private: its evaluations never left its organisation, so the log cannot answer for them`, { field: "problem" });
  const recorded = log.evaluationsOf(problemId);
  const campaign = newestCampaign(log.campaigns.filter((c) => c.problemId === problemId && c.strategy === strategy.name));
  const seed = options.seed ?? campaign?.seed ?? 1;
  const maxEvaluations = options.maxEvaluations ?? (campaign?.budget?.maxEvaluations || recorded.size);
  const batchSize = options.batchSize ?? campaign?.batchSize ?? 4;
  if (!(maxEvaluations > 0)) throw new OpmError("invalid_argument", `--max-evals: the log holds no evaluation of ${problemId}; give a budget`, { field: "max_evaluations" });
  const space = await host.spaceOf(problem);
  const context = (budget: number): StrategyContext => ({
    problem: {
      compiler: parseCompiler(compilerName(problem.compiler)), compilerVersion: problem.compilerVersion, objective: objectiveFromProto(problem.objective),
      features: Object.fromEntries(problem.features.map((f) => [f.name, f.value])), baseline: problem.baseline,
    },
    space, seed, budget: { maxEvaluations: budget },
    signals: recordedMarket(log, {
      participant: problem.participant,
      ...(campaign === undefined ? {} : { untilMs: Number(campaign.createdAtMs), planSetVersion: campaign.planSetVersion }),
    }),
  });
  let reproduction: Reproduction | undefined;
  if (campaign !== undefined && campaign.seed === seed) {
    // The campaign's strategy was prepared for its own budget (1,000 when bounded by time alone).
    const budget = campaign.budget?.maxEvaluations || 1000;
    reproduction = reproduceCampaign(await strategy.prepare(context(budget)), campaign, log);
  }
  const result = await runBacktest({
    strategy: await strategy.prepare(context(maxEvaluations)), recorded, maxEvaluations, batchSize,
    ...(host.evaluate === undefined ? {} : { evaluate: (plan: Plan) => host.evaluate!(problem, plan) }),
  });
  return {
    problemId, compiler: compilerName(problem.compiler), compilerVersion: problem.compilerVersion, objective: objectiveFromProto(problem.objective),
    baseline: problem.baseline, strategy: strategy.name, seed, maxEvaluations, batchSize, recordedPlans: recorded.size,
    ...(campaign === undefined ? {} : { campaign: { id: campaign.id, strategy: campaign.strategy, seed: campaign.seed, batches: campaign.batches.length, planSetVersion: campaign.planSetVersion } }),
    ...(reproduction === undefined ? {} : { reproduction }),
    result,
  };
}

/** The newest campaign (by creation time, then id). */
function newestCampaign(campaigns: readonly Campaign[]): Campaign | undefined {
  return [...campaigns].sort((a, b) => (a.createdAtMs < b.createdAtMs ? -1 : a.createdAtMs > b.createdAtMs ? 1 : a.id < b.id ? -1 : 1)).at(-1);
}

/** The one problem the log holds evaluations of; invalid_argument listing them (most evaluated first) when there are several. */
function soleProblem(log: RecordedLog): string {
  const counts = new Map<string, number>();
  for (const o of log.outcomes.values()) if (o.checkOf === "") counts.set(o.problemId, (counts.get(o.problemId) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (ranked.length === 1) return ranked[0]![0];
  if (ranked.length === 0) throw new OpmError("failed_precondition", "the log holds no evaluation of any public problem");
  const list = ranked.slice(0, 10).map(([id, n]) => `${id} (${n} evaluations${labelOf(log, id)})`).join(", ");
  throw new OpmError("invalid_argument", `the log holds evaluations of ${ranked.length} problems; choose one with --problem: ${list}`, { field: "problem" });
}

function labelOf(log: RecordedLog, id: string): string {
  const label = log.problems.get(id)?.label ?? "";
  return label === "" ? "" : `, ${label}`;
}

/** The plan keys of the misses, for a report. */
export function missKeys(result: BacktestResult, max = 20): string[] {
  return result.misses.slice(0, max).map(planKey);
}

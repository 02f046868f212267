import type { ProgramSource } from "../../adapters/framework/program-source.js";
import { toolchainFor } from "../../adapters/framework/toolchains.js";
import { Visibility } from "../../gen/openpassmarket/v1/problem_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import { createLogger, type Logger } from "../../kernel/logger/index.js";
import { compilerName, objectiveFromProto, parseCompiler, runSetBytes, runSetDigest, validateRuns, type RunSpec } from "../../kernel/plan/index.js";
import { pinPlanSet, planSetVersionOf, strategyBudgetOf } from "./campaign-session.js";
import { marketClients, type MarketTarget, type OptimizeResult } from "./optimize.js";
import { searchAndReport } from "./search-and-report.js";
import { registrySignalSource } from "./signal-source.js";
import { strategyNamed } from "./strategies.js";
import type { Evaluation } from "./strategy.js";

export interface ResumeOptions {
  /** The campaign to go on with (its holder only). */
  campaignId: string;
  /** What the user named; the program must be the campaign's problem (same prepared input digest). */
  file: string;
  program?: ProgramSource;
  /** The participant's runs, as the problem was posed with them (same digest). */
  runs?: readonly RunSpec[];
  market: MarketTarget;
  graceMs?: number;
  stop?: AbortSignal;
  onProgress?: (done: number, total: number, best: Evaluation | undefined) => void;
  log?: Logger;
}

/**
 * Goes on with a campaign after its search stopped (killed, interrupted, handed off): the
 * registry checks that the caller holds it and that it is active (ResumeCampaign, audited);
 * the problem, strategy, seed, budget and batch size come from the registry, the program and
 * runs from the caller (checked against the problem's digests). The strategy is prepared
 * again and re-driven over the recorded batches — each must come out the same — while their
 * jobs still in flight are waited for; then the search goes on until the budget is spent.
 * No evaluation is enqueued twice.
 */
export async function resumeSearch(options: ResumeOptions): Promise<OptimizeResult> {
  const started = performance.now();
  const log = options.log ?? createLogger({ silent: true });
  const clients = marketClients(options.market);
  try {
    const { campaign } = await clients.campaigns.resumeCampaign({ campaignId: options.campaignId });
    const c = campaign!;
    const { problem } = await clients.registry.getProblem({ problemId: c.problemId });
    if (problem === undefined) throw new OpmError("not_found", `campaign ${c.id}: its problem ${c.problemId} is not readable`);
    const compiler = parseCompiler(compilerName(problem.compiler));
    const objective = objectiveFromProto(problem.objective);
    const definition = strategyNamed(c.strategy);
    const toolchain = await toolchainFor(compiler);
    try {
      const info = await toolchain.info();
      if (info.version !== problem.compilerVersion) {
        throw new OpmError("failed_precondition", `campaign ${c.id} searches ${compiler} ${problem.compilerVersion}; this machine has ${info.version}`);
      }
      const prepared = await toolchain.prepare(options.program ?? options.file, objective);
      if (prepared.digest !== problem.irDigest) {
        throw new OpmError("failed_precondition", `${options.file} is not the program of campaign ${c.id}: prepared, its input has sha256 ${prepared.digest}, the problem's is ${problem.irDigest}`, { field: "program" });
      }
      const runs = validateRuns(options.runs ?? []);
      if (runSetDigest(runs) !== problem.runsDigest) {
        throw new OpmError("failed_precondition", `the runs given are not those of campaign ${c.id}'s problem (digest ${runSetDigest(runs) || "none"}, the problem's ${problem.runsDigest || "none"}): give the same --run/--input/--runs`, { field: "runs" });
      }
      // The organisation's adapters read a private problem's input (and runs) from the store by digest.
      options.market.irStore.put(prepared.input.bytes);
      if (runs.length > 0) options.market.irStore.put(runSetBytes(runs));
      const space = toolchain.searchSpace(await toolchain.catalog(), objective, problem.constraints?.maxPasses ?? 16);
      const features = Object.fromEntries(problem.features.map((f) => [f.name, f.value]));
      const strategy = await definition.prepare({
        problem: { compiler, compilerVersion: info.version, objective, features, baseline: problem.baseline },
        space, seed: c.seed, budget: { maxEvaluations: strategyBudgetOf(c.budget?.maxEvaluations ?? 0) }, signals: pinPlanSet(registrySignalSource(clients.registry, undefined, c.marketCursor), c.planSetVersion),
      });
      if (planSetVersionOf(strategy) !== c.planSetVersion) {
        throw new OpmError("failed_precondition", `campaign ${c.id} was searched with plan set ${c.planSetVersion || "(none)"}; strategy ${c.strategy} now has ${planSetVersionOf(strategy) || "(none)"}, so it cannot resume deterministically`);
      }
      log.info("search resumed", { campaign: c.id, batches: c.batches.length, evaluations: c.evaluations });
      return await searchAndReport({
        ...clients, campaign: c, toolchain, input: { ...prepared.input, runs }, baseline: prepared.baseline, defaultPlan: { steps: [...space.prefix] },
        strategy, file: options.file, compiler, compilerVersion: info.version, objective, inputDigest: prepared.digest,
        visibility: problem.visibility === Visibility.PUBLIC ? "public" : "private", parallelism: options.market.parallelism, log, started,
        ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}), ...(options.stop ? { stop: options.stop } : {}),
        ...(options.market.stopped ? { stopped: options.market.stopped } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
    } finally {
      await toolchain.close();
    }
  } finally {
    clients.close();
  }
}

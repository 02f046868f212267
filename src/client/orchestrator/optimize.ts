import { basename } from "node:path";
import type { IrStore } from "../../adapters/framework/ir-store.js";
import type { ProgramSource } from "../../adapters/framework/program-source.js";
import { toolchainFor } from "../../adapters/framework/toolchains.js";
import { JobService } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { Visibility } from "../../gen/openpassmarket/v1/problem_pb.js";
import { RegistryService } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import { createLogger, type Logger } from "../../kernel/logger/index.js";
import type { Identity } from "../../kernel/pki/index.js";
import { compilerToProto, objectiveToProto, runSetBytes, runSetDigest, runSetToProto, validateRuns, type CompilerKind, type Objective, type Plan, type RunSpec } from "../../kernel/plan/index.js";
import { createRpcClient } from "../../kernel/wire/index.js";
import { CampaignService } from "../../gen/openpassmarket/v1/campaign_service_pb.js";
import { planSetVersionOf, strategyBudgetOf } from "./campaign-session.js";
import type { Unreproduced } from "./corroborate-best.js";
import type { ReleaseReport } from "./release-best.js";
import type { StopReason } from "./run-search.js";
import { searchAndReport } from "./search-and-report.js";
import { registrySignalSource } from "./signal-source.js";
import { strategyNamed } from "./strategies.js";
import type { Evaluation } from "./strategy.js";

/** The registry a participant searches through: its address, the participant's identity and IR store. */
export interface MarketTarget {
  address: string;
  identity: Identity;
  irStore: IrStore;
  /** Evaluations that can run at once (the adapters available); plans are enqueued in batches of twice this. */
  parallelism: number;
  /** Aborted when nothing can run jobs any more (an embedded market's adapters all stopped). */
  stopped?: AbortSignal;
}

export interface OptimizeOptions {
  /** What the user named (a file, a directory, a compile_commands.json): the problem's label. */
  file: string;
  /** The program to optimise; default: the one file `file` names. */
  program?: ProgramSource;
  compiler: CompilerKind;
  objective: Objective;
  /** Evaluations to spend; 0: no limit by count (then `timeLimitMs` must be set). */
  maxEvaluations: number;
  /** Search time to spend, in ms (0 or absent: no limit by time); the search stops at the first limit reached. */
  timeLimitMs?: number;
  /** How long evaluations in flight at the time limit are still waited for (default 2 s); later ones still count in the campaign. */
  graceMs?: number;
  /** Aborting stops the search: the best so far is corroborated and returned, the campaign stays resumable (Ctrl-C). */
  stop?: AbortSignal;
  /** A strategy name of `STRATEGIES`. */
  strategy: string;
  seed: number;
  /** Longest plan, prefix included. */
  maxSteps: number;
  market: MarketTarget;
  visibility: "private" | "public";
  /**
   * The participant's runs of the program (`opm optimize --run`), which every
   * evaluation's semantics layer executes: carried by a public problem, kept in the
   * participant's store (only their digest leaves) for a private one.
   */
  runs?: readonly RunSpec[];
  /**
   * When set, an evaluation counts as verified when this share (0..1] of the changed code
   * executed in the runs or direct tests (`VerifyRequest.requiredCoverage`); unset, when
   * every changed function was entered by a run or tested directly. Below 1, a
   * miscompile in the code left out would be signed.
   */
  requiredCoverage?: number;
  onProgress?: (done: number, total: number, best: Evaluation | undefined) => void;
  log?: Logger;
}

export interface OptimizeResult {
  file: string;
  compiler: CompilerKind;
  compilerVersion: string;
  /** The metric minimised. */
  objective: Objective;
  /** What `objective` counts (`METRIC_UNITS`): `IR instructions`, `bytes of .text`, `bytes of machine code`. */
  unit: string;
  strategy: string;
  seed: number;
  problemId: string;
  /** The metric of the compiler's own default for the objective, measured locally. */
  baseline: number;
  /** The plan that measured `baseline`: `default<Oz>`, `-Os`, `opt_level=speed_and_size`. */
  baselinePlan: string;
  best: number;
  /** `best` against `baseline`, signed, one decimal: `-5.1%` (negative is smaller, better). */
  change: string;
  /** baseline / best: how many times smaller `best` is (> 1 is an improvement). */
  sizeRatio: number;
  /** The plan as the compiler takes it (`opt -passes=` value, gcc options, Cranelift plan text). */
  pipeline: string;
  plan: Plan;
  /** The plan as command-line options (GCC): `gcc <flags…> -c FILE` reproduces `best`. */
  flags?: string[];
  /**
   * The exact command the toolchain ran to re-measure `best` locally: `plan` applied to the
   * problem's input (`input.ll`, `input.c`, … — `file` as the toolchain prepared it, SHA-256 `inputDigest`).
   */
  reproduction: string;
  /** SHA-256 of the problem's input (what adapters optimise: the IR of `file`, or `file` itself). */
  inputDigest: string;
  /** The evaluation job that found `best`, and the signal its adapter signed: `opm audit --object ID` shows their events. */
  bestJobId: string;
  bestSignalId: string;
  evaluations: number;
  failedEvaluations: number;
  /** Failed evaluations by the code of their last error: `{ "verification_failed": 3, "compiler_failed": 1 }`. */
  failuresByReason: Record<string, number>;
  /** The first message of each code in `failuresByReason`. */
  firstFailureMessages: Record<string, string>;
  /**
   * Results adapters reported that this participant's toolchain measured otherwise: never
   * reported as best (`best` is the best result reproduced here), kept as evidence and
   * reported to the registry, which spot-checks each one's job (`checkJobId`).
   */
  unreproduced: Unreproduced[];
  /**
   * A private problem's release: the best result's improvement, clamped and noised, charged
   * to the organisation's privacy budget — all that others ever see of it (see README
   * *Privacy*) — or why nothing was released. Absent for public problems (shown exactly).
   */
  release?: ReleaseReport;
  /** The registry's record of this search: `opm optimize --resume ID` goes on with it while it is active. */
  campaignId: string;
  /** Why the search ended: `max_evaluations`, `time_limit`, `strategy_done` (the campaign is finished) or `interrupted` (it can resume). */
  stopReason: StopReason;
  /** Evaluations of a resumed campaign recorded before this run (re-driven, not repeated). */
  resumedEvaluations: number;
  /** Jobs enqueued and not waited for (past the time limit's grace, or at a stop): they still run and count in the campaign. */
  unsettledJobs: string[];
  /** Jobs withdrawn at the time limit before any adapter claimed them (CancelJobs). */
  cancelledJobs: string[];
  /** Search time spent over every run of the campaign. */
  searchSeconds: number;
  seconds: number;
}

/**
 * Poses `file` as a problem on `options.market` and searches for the plan that minimises
 * the objective: prepares the IR and features locally (only digest and features leave,
 * unless public), prepares the strategy with what the market measured elsewhere, starts a
 * campaign (the registry's record of the search: strategy, seed, budget, batches) and runs
 * it through evaluation jobs that adapters claim, then reports the best result that
 * reproduces here exactly (`searchAndReport`).
 */
export async function optimize(options: OptimizeOptions): Promise<OptimizeResult> {
  const started = performance.now();
  const log = options.log ?? createLogger({ silent: true });
  const definition = strategyNamed(options.strategy);
  const timeLimitMs = options.timeLimitMs ?? 0;
  if (options.maxEvaluations <= 0 && timeLimitMs <= 0) throw new OpmError("invalid_argument", "a search needs --max-evals or --time-limit (or both)");
  const toolchain = await toolchainFor(options.compiler);
  const target = options.market;
  const clients = marketClients(target);
  try {
    const info = await toolchain.info();
    const prepared = await toolchain.prepare(options.program ?? options.file, options.objective);
    const catalog = await toolchain.catalog();
    target.irStore.put(prepared.input.bytes);
    const runs = validateRuns(options.runs ?? []);
    const runsDigest = runSetDigest(runs);
    if (runs.length > 0) target.irStore.put(runSetBytes(runs));
    const input = { ...prepared.input, runs };
    await clients.registry.registerParticipant({ publicKey: target.identity.keys.publicKeyRaw }).catch((err: unknown) => {
      if (!(err instanceof OpmError && err.code === "already_exists")) throw err;
    });
    const features = Object.entries(prepared.features).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value }));
    const { problemId } = await clients.registry.submitProblem({
      problem: {
        participant: target.identity.name, compiler: compilerToProto(options.compiler), compilerVersion: info.version,
        objective: objectiveToProto(options.objective), irDigest: prepared.digest, irFormat: prepared.input.format, features,
        constraints: {
          maxPasses: options.maxSteps, evaluationBudget: options.maxEvaluations,
          requiredCoverageBp: options.requiredCoverage === undefined ? 0 : Math.round(options.requiredCoverage * 10_000),
        },
        visibility: options.visibility === "public" ? Visibility.PUBLIC : Visibility.PRIVATE,
        ir: options.visibility === "public" ? prepared.input.bytes : new Uint8Array(), baseline: prepared.baseline.value,
        label: basename(options.file),
        runsDigest, ...(options.visibility === "public" && runs.length > 0 ? { runs: runSetToProto(runs) } : {}),
      },
    });
    const space = toolchain.searchSpace(catalog, options.objective, options.maxSteps);
    const signals = registrySignalSource(clients.registry);
    const strategy = await definition.prepare({
      problem: { compiler: options.compiler, compilerVersion: info.version, objective: options.objective, features: prepared.features, baseline: prepared.baseline.value },
      space, seed: options.seed, budget: { maxEvaluations: strategyBudgetOf(options.maxEvaluations) }, signals,
    });
    // What the strategy learnt from is recorded with the campaign, so a resume sees the same.
    const { campaign } = await clients.campaigns.startCampaign({
      problemId, strategy: definition.name, seed: options.seed, budget: { maxEvaluations: options.maxEvaluations, timeLimitMs: BigInt(timeLimitMs) },
      batchSize: Math.max(2, 2 * target.parallelism), planSetVersion: planSetVersionOf(strategy), marketCursor: signals.marketCursor?.() ?? "",
    });
    log.info("search started", { problemId, campaign: campaign!.id, strategy: definition.name, moves: space.moves.length });
    return await searchAndReport({
      ...clients, campaign: campaign!, toolchain, input, baseline: prepared.baseline, defaultPlan: { steps: [...space.prefix] }, strategy,
      file: options.file, compiler: options.compiler, compilerVersion: info.version, objective: options.objective, inputDigest: prepared.digest,
      visibility: options.visibility, parallelism: target.parallelism, log, started,
      ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}), ...(options.stop ? { stop: options.stop } : {}),
      ...(target.stopped ? { stopped: target.stopped } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  } finally {
    clients.close();
    await toolchain.close();
  }
}

/** The registry, job and campaign clients of `target`, closed together. */
export function marketClients(target: MarketTarget) {
  const connection = { address: target.address, identity: target.identity };
  const registry = createRpcClient(RegistryService, connection);
  const jobs = createRpcClient(JobService, connection);
  const campaigns = createRpcClient(CampaignService, connection);
  return {
    registry, jobs, campaigns,
    close: () => {
      registry.close();
      jobs.close();
      campaigns.close();
    },
  };
}

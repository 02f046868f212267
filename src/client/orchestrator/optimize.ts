import { basename } from "node:path";
import type { IrStore } from "../../adapters/framework/ir-store.js";
import type { Measurement } from "../../adapters/framework/toolchain.js";
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
import { METRIC_UNITS, percentChange, tallyFailures } from "./result-summary.js";
import { corroborateBest, type Unreproduced } from "./corroborate-best.js";
import { reportUnreproduced } from "./report-unreproduced.js";
import { releaseBest, type ReleaseReport } from "./release-best.js";
import { runSearch } from "./run-search.js";
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
  maxEvaluations: number;
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
  seconds: number;
}

/**
 * Poses `file` as a problem on `options.market` and searches for the plan that minimises
 * the objective: prepares the IR and features locally (only digest and features leave,
 * unless public), prepares the strategy with what the market measured elsewhere, runs it
 * through evaluation jobs that adapters claim, then re-runs the best plans locally and
 * reports the best that reproduces exactly; each that does not is reported to the
 * registry as evidence against its adapter.
 */
export async function optimize(options: OptimizeOptions): Promise<OptimizeResult> {
  const started = performance.now();
  const log = options.log ?? createLogger({ silent: true });
  const definition = strategyNamed(options.strategy);
  const toolchain = await toolchainFor(options.compiler);
  const target = options.market;
  const registry = createRpcClient(RegistryService, { address: target.address, identity: target.identity });
  const jobs = createRpcClient(JobService, { address: target.address, identity: target.identity });
  try {
    const info = await toolchain.info();
    const prepared = await toolchain.prepare(options.program ?? options.file, options.objective);
    const catalog = await toolchain.catalog();
    target.irStore.put(prepared.input.bytes);
    const runs = validateRuns(options.runs ?? []);
    const runsDigest = runSetDigest(runs);
    if (runs.length > 0) target.irStore.put(runSetBytes(runs));
    const input = { ...prepared.input, runs };
    await registry.registerParticipant({ publicKey: target.identity.keys.publicKeyRaw }).catch((err: unknown) => {
      if (!(err instanceof OpmError && err.code === "already_exists")) throw err;
    });
    const features = Object.entries(prepared.features).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value }));
    const { problemId } = await registry.submitProblem({
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
    const strategy = await definition.prepare({
      problem: { compiler: options.compiler, compilerVersion: info.version, objective: options.objective, features: prepared.features, baseline: prepared.baseline.value },
      space, seed: options.seed, budget: { maxEvaluations: options.maxEvaluations }, signals: registrySignalSource(registry),
    });
    log.info("search started", { problemId, strategy: definition.name, moves: space.moves.length });
    const result = await runSearch({
      jobs, problemId, strategy, maxEvaluations: options.maxEvaluations,
      batchSize: Math.max(2, 2 * target.parallelism),
      onProgress: (done, best) => options.onProgress?.(done, options.maxEvaluations, best),
      ...(target.stopped ? { signal: target.stopped } : {}),
    });
    if (result.best?.value === undefined) {
      const why = result.failures[0];
      throw new OpmError("compiler_failed", `no evaluation succeeded${why ? `: ${why.code}: ${why.message}` : ""}`);
    }
    // Only a corroborated result is reported: the best one this toolchain reproduces here.
    const measurements = new Map<number, Measurement>();
    const corroborated = await corroborateBest(result, async (plan, index) => {
      const m = await toolchain.evaluate(input, plan, options.objective);
      measurements.set(index, m);
      return m;
    });
    for (const u of corroborated.unreproduced) {
      log.warn("a reported result did not reproduce locally", { job: u.jobId, adapter: u.adapter, claimed: u.claimed, measured: u.measured });
    }
    // A claim that did not reproduce is evidence: the registry re-runs its job on another adapter.
    const unreproduced = await reportUnreproduced(jobs, corroborated.unreproduced, log);
    const bestIndex = corroborated.index;
    const bestPlan = bestIndex === undefined ? { steps: [...space.prefix] } : result.history[bestIndex]!.plan;
    const check = bestIndex === undefined ? prepared.baseline : measurements.get(bestIndex)!;
    const baseline = prepared.baseline.value, best = check.value;
    const bestJob = bestIndex === undefined ? undefined : result.jobs[bestIndex];
    const failures = tallyFailures(result.failures);
    // A private problem's exact result stays here; others see only its release, charged to the budget.
    const release = options.visibility === "private" && bestJob !== undefined && bestJob.signalId !== ""
      ? await releaseBest(registry, problemId, bestJob.signalId, log) : undefined;
    return {
      file: options.file, compiler: options.compiler, compilerVersion: info.version,
      objective: options.objective, unit: METRIC_UNITS[options.objective],
      strategy: options.strategy, seed: options.seed, problemId,
      baseline, baselinePlan: toolchain.renderPlan({ steps: [...space.prefix] }), best,
      change: percentChange(baseline, best), sizeRatio: baseline / best,
      pipeline: toolchain.renderPlan(bestPlan), plan: bestPlan,
      ...(toolchain.planArguments ? { flags: toolchain.planArguments(bestPlan) } : {}),
      reproduction: check.reproduction, inputDigest: prepared.digest,
      bestJobId: bestJob?.jobId ?? "", bestSignalId: bestJob?.signalId ?? "",
      evaluations: result.history.length, failedEvaluations: result.failures.length,
      failuresByReason: failures.byReason, firstFailureMessages: failures.firstMessages,
      unreproduced, ...(release === undefined ? {} : { release }), seconds: (performance.now() - started) / 1000,
    };
  } finally {
    registry.close();
    jobs.close();
    await toolchain.close();
  }
}

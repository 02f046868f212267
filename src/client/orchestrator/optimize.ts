import { basename } from "node:path";
import type { IrStore } from "../../adapters/framework/ir-store.js";
import { toolchainFor } from "../../adapters/framework/toolchains.js";
import { JobService } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { Visibility } from "../../gen/openpassmarket/v1/problem_pb.js";
import { RegistryService } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import { createLogger, type Logger } from "../../kernel/logger/index.js";
import type { Identity } from "../../kernel/pki/index.js";
import { compilerToProto, objectiveToProto, type CompilerKind, type Objective, type Plan } from "../../kernel/plan/index.js";
import { createRpcClient } from "../../kernel/wire/index.js";
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
  file: string;
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
  onProgress?: (done: number, total: number, best: Evaluation | undefined) => void;
  log?: Logger;
}

export interface OptimizeResult {
  file: string;
  compiler: CompilerKind;
  compilerVersion: string;
  objective: Objective;
  strategy: string;
  seed: number;
  problemId: string;
  /** The compiler's own default for the objective, measured locally (`default<Oz>`, `-Os`, `speed_and_size`). */
  baseline: number;
  best: number;
  /** baseline / best (≥ 1 is an improvement). */
  improvement: number;
  /** The exact command-line form that reproduces `best` (`opt -passes=…`, gcc flags, Cranelift plan). */
  pipeline: string;
  plan: Plan;
  /** The plan as command-line options (GCC): `gcc <flags…> -c FILE` reproduces `best`. */
  flags?: string[];
  evaluations: number;
  failedEvaluations: number;
  /** Re-running `plan` locally gave exactly `best`. */
  reproduced: boolean;
  seconds: number;
}

/**
 * Poses `file` as a problem on `options.market` and searches for the plan that minimises
 * the objective: prepares the IR and features locally (only digest and features leave,
 * unless public), prepares the strategy with what the market measured elsewhere, runs it
 * through evaluation jobs that adapters claim, then re-runs the best plan locally to
 * confirm it reproduces exactly.
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
    const prepared = await toolchain.prepare(options.file, options.objective);
    const catalog = await toolchain.catalog();
    target.irStore.put(prepared.input.bytes);
    await registry.registerParticipant({ publicKey: target.identity.keys.publicKeyRaw }).catch((err: unknown) => {
      if (!(err instanceof OpmError && err.code === "already_exists")) throw err;
    });
    const features = Object.entries(prepared.features).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value }));
    const { problemId } = await registry.submitProblem({
      problem: {
        participant: target.identity.name, compiler: compilerToProto(options.compiler), compilerVersion: info.version,
        objective: objectiveToProto(options.objective), irDigest: prepared.digest, irFormat: prepared.input.format, features,
        constraints: { maxPasses: options.maxSteps, evaluationBudget: options.maxEvaluations },
        visibility: options.visibility === "public" ? Visibility.PUBLIC : Visibility.PRIVATE,
        ir: options.visibility === "public" ? prepared.input.bytes : new Uint8Array(), baseline: prepared.baseline.value,
        label: basename(options.file),
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
    const check = await toolchain.evaluate(prepared.input, result.best.plan, options.objective);
    return {
      file: options.file, compiler: options.compiler, compilerVersion: info.version, objective: options.objective,
      strategy: options.strategy, seed: options.seed, problemId, baseline: prepared.baseline.value, best: result.best.value,
      improvement: prepared.baseline.value / result.best.value, pipeline: toolchain.renderPlan(result.best.plan), plan: result.best.plan,
      ...(toolchain.planArguments ? { flags: toolchain.planArguments(result.best.plan) } : {}),
      evaluations: result.history.length, failedEvaluations: result.failures.length, reproduced: check.value === result.best.value,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    registry.close();
    jobs.close();
    await toolchain.close();
  }
}

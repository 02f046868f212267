import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { runAdapter } from "../../adapters/framework/adapter-process.js";
import { IrStore } from "../../adapters/framework/ir-store.js";
import { compilerToProto, objectiveToProto } from "../../kernel/plan/proto-mapping.js";
import { toolchainFor } from "../../adapters/framework/toolchains.js";
import type { CompilerKind, Objective, Plan } from "../../adapters/framework/toolchain.js";
import { OpmError } from "../../kernel/errors/index.js";
import { JobService } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { Visibility } from "../../gen/openpassmarket/v1/problem_pb.js";
import { RegistryService } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { createLogger, type Logger } from "../../kernel/logger/index.js";
import { startRegistryNode } from "../../server/node/index.js";
import { issueIdentity, loadIdentity, loadNodeCa, type Identity } from "../../kernel/pki/index.js";
import { createRpcClient } from "../../kernel/wire/index.js";
import { GreedySearch } from "./greedy-search.js";
import { RandomSearch } from "./random-search.js";
import { runSearch } from "./run-search.js";
import { ScreenSearch } from "./screen-search.js";
import { searchSpace, SIZE_ALTERNATIVES } from "./search-space.js";
import type { Evaluation, Strategy } from "./strategy.js";

export type StrategyName = "random" | "greedy" | "screen";

export interface OptimizeOptions {
  file: string;
  compiler: CompilerKind;
  objective: Objective;
  maxEvaluations: number;
  strategy: StrategyName;
  seed: number;
  /** Longest plan, prefix included. */
  maxSteps: number;
  /** A running registry to use; without it an embedded registry and local adapters are started. */
  registry?: { address: string; identity: Identity; irStore: IrStore };
  /** Local adapters of the embedded registry. */
  adapters: number;
  visibility: "private" | "public";
  onProgress?: (done: number, total: number, best: Evaluation | undefined) => void;
  log?: Logger;
}

export interface OptimizeResult {
  file: string;
  compiler: CompilerKind;
  compilerVersion: string;
  objective: Objective;
  strategy: StrategyName;
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
 * Poses `file` as a problem and searches for the plan that minimises the objective:
 * prepares the IR and features locally (only digest and features leave, unless public),
 * runs the strategy through evaluation jobs that adapters claim, then re-runs the best
 * plan locally to confirm it reproduces exactly.
 */
export async function optimize(options: OptimizeOptions): Promise<OptimizeResult> {
  const started = performance.now();
  const log = options.log ?? createLogger({ silent: true });
  const toolchain = await toolchainFor(options.compiler);
  const info = await toolchain.info();
  const prepared = await toolchain.prepare(options.file, options.objective);
  const catalog = await toolchain.catalog();

  const embedded = options.registry === undefined ? await startLocalMarket(options.compiler, options.adapters, log) : undefined;
  const target = options.registry ?? embedded!.target;
  const registry = createRpcClient(RegistryService, { address: target.address, identity: target.identity });
  const jobs = createRpcClient(JobService, { address: target.address, identity: target.identity });
  try {
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
    const space = searchSpace(options.compiler, catalog, options.maxSteps);
    const strategy: Strategy = options.strategy === "greedy" ? new GreedySearch(space)
      : options.strategy === "screen" ? new ScreenSearch(space, { seed: options.seed, budget: options.maxEvaluations, alternatives: SIZE_ALTERNATIVES[options.compiler] })
        : new RandomSearch(space, options.seed);
    const result = await runSearch({
      jobs, registry, problemId, strategy, maxEvaluations: options.maxEvaluations,
      batchSize: Math.max(2, 2 * (options.registry === undefined ? options.adapters : 4)),
      onProgress: (done, best) => options.onProgress?.(done, options.maxEvaluations, best),
      ...(embedded ? { signal: embedded.adaptersGone } : {}),
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
    await embedded?.stop();
    (toolchain as { close?: () => void }).close?.();
  }
}

/** A registry with local adapters, and the participant identity to use it. */
export interface LocalMarket {
  target: { address: string; identity: Identity; irStore: IrStore };
  /** Aborted when every local adapter has stopped on its own (nothing could run jobs any more). */
  adaptersGone: AbortSignal;
  stop(): Promise<void>;
}

/**
 * An embedded registry (in-memory database, temp dir) with `adapters` adapters for
 * `compiler` running in this process, owned by a participant whose identity and IR store are
 * returned — what `opm optimize` uses when no registry is given, and what benchmarks
 * reuse across many problems.
 */
export async function startLocalMarket(compiler: CompilerKind, adapters: number, log: Logger): Promise<LocalMarket> {
  const options = { compiler, adapters };
  const dir = mkdtempSync(join(tmpdir(), "opm-optimize-"));
  // The run's registry lives only as long as the run, so its database is in memory.
  const node = await startRegistryNode({ dataDir: join(dir, "node"), host: "127.0.0.1", port: 0, log, ephemeralDb: true });
  const ca = loadNodeCa(join(dir, "node"));
  const participant = await issueIdentity(ca, "participant");
  const irStore = new IrStore(join(dir, "ir"));
  const controller = new AbortController();
  const admin = createRpcClient(RegistryService, { address: node.address, identity: loadIdentity(node.adminDir) });
  const running: Array<Promise<void>> = [];
  const failures: string[] = [];
  try {
    for (let i = 0; i < options.adapters; i++) {
      const identity = await issueIdentity(ca, `local-${options.compiler}-${i + 1}`);
      running.push(runAdapter({
        registry: node.address, identity, toolchain: await toolchainFor(options.compiler), owner: participant.name, irStore,
        concurrency: 1, leaseMs: 60_000, log, signal: controller.signal, maxPollMs: 100,
      }).catch((err: unknown) => {
        failures.push(`${identity.name}: ${err instanceof Error ? err.message : String(err)}`);
        log.error("adapter stopped", { adapter: identity.name, error: err });
      }));
      await admitWhenRegistered(admin, identity);
    }
  } finally {
    admin.close();
  }
  const gone = new AbortController();
  void Promise.allSettled(running).then(() => {
    if (!controller.signal.aborted) gone.abort(`all ${options.adapters} local adapters stopped: ${failures.join("; ") || "no error reported"}`);
  });
  return {
    target: { address: node.address, identity: participant, irStore },
    adaptersGone: gone.signal,
    stop: async () => {
      controller.abort();
      await Promise.allSettled(running);
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function admitWhenRegistered(admin: ReturnType<typeof createRpcClient<(typeof RegistryService)["method"]>>, identity: Identity): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const found = await admin.getActor({ name: identity.name }).catch(() => undefined);
    if (found?.actor !== undefined) {
      await admin.admitAdapter({ adapter: identity.name, keyId: identity.keys.keyId, reason: "local adapter of opm optimize" });
      return;
    }
    await sleep(50);
  }
  throw new OpmError("unavailable", `local adapter ${identity.name} did not register`);
}

import { create } from "@bufbuild/protobuf";
import { setTimeout as sleep } from "node:timers/promises";
import { signObject } from "../../kernel/codec/index.js";
import { OpmError, isOpmError } from "../../kernel/errors/index.js";
import { JobService, type ClaimedJob } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { ActorStatus, RegistryService } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { PerformanceSignalSchema, type PerformanceSignal } from "../../gen/openpassmarket/v1/signal_pb.js";
import type { Logger } from "../../kernel/logger/index.js";
import type { Identity } from "../../kernel/pki/index.js";
import { createRpcClient, type RpcClient } from "../../kernel/wire/index.js";
import { catalogDecls, catalogPassSpecs } from "./catalog-contracts.js";
import { verifyEvaluation } from "./verify-evaluation.js";
import { LruMap } from "./lru-map.js";
import type { IrStore } from "./ir-store.js";
import { compilerToProto, objectiveFromProto, objectiveToProto, OBJECTIVES, runSetDigest, runSetFromBytes, runSetFromProto, type RunSpec } from "../../kernel/plan/index.js";
import type { LocalProblem } from "../../gen/openpassmarket/v1/problem_pb.js";
import type { Toolchain, ToolchainInfo } from "./toolchain.js";
import type { Objective } from "../../kernel/plan/index.js";

export interface AdapterOptions {
  /** `host:port` of the registry. */
  registry: string;
  identity: Identity;
  toolchain: Toolchain;
  /** Participant that owns this adapter (it may run that participant's private jobs). */
  owner?: string;
  /** Where the owner's private IR lives, by digest. */
  irStore?: IrStore;
  /** Jobs evaluated at once. */
  concurrency?: number;
  leaseMs?: number;
  /** Longest wait between claims when the queue is empty. */
  maxPollMs?: number;
  /** Longest single evaluation. */
  evaluationTimeoutMs?: number;
  /** Keeps asking until admitted instead of failing. */
  waitForAdmission?: boolean;
  log: Logger;
  /** Aborting stops claiming; running jobs finish. */
  signal: AbortSignal;
}

/**
 * What the verifiers keep per problem (BEFORE's checks and interface, the reference's
 * build and runs) across this process's jobs, for the problems used last: an entry is
 * one problem for LLVM, two for GCC, so at least the last `VERIFIER_CACHE_ENTRIES / 2`
 * problems stay warm, and a long-running adapter does not grow with every problem it
 * has ever seen.
 */
const VERIFIER_CACHE_ENTRIES = 32;
const verifierCache: Map<string, unknown> = new LruMap<string, unknown>(VERIFIER_CACHE_ENTRIES);

/** Problems whose baseline and runs this process keeps (it reads them once per problem). */
const PROBLEM_FACTS_ENTRIES = 256;

/** What a job needs of its problem besides the IR: the baseline its signal reports and the participant's runs. */
interface ProblemFacts {
  baseline: number;
  runs: RunSpec[];
  /** The problem's required coverage as a share, when it sets one. */
  requiredCoverage?: number;
}
type FactsOf = (problemId: string) => Promise<ProblemFacts>;

/**
 * A problem's baseline and runs: a public problem carries its runs; a private one only
 * their digest, and the runs come from the owner's store (only the owner's adapters run
 * its jobs). Runs that do not hash to the problem's digest are refused.
 */
function problemFacts(options: AdapterOptions, problem: LocalProblem | undefined): ProblemFacts {
  const digest = problem?.runsDigest ?? "";
  const bp = problem?.constraints?.requiredCoverageBp ?? 0;
  const coverage = bp > 0 ? { requiredCoverage: bp / 10_000 } : {};
  if (digest === "") return { baseline: problem?.baseline ?? 0, runs: [], ...coverage };
  const runs = problem!.runs !== undefined && problem!.runs.runs.length > 0
    ? runSetFromProto(problem!.runs, "problem.runs")
    : runSetFromBytes(storeOf(options, "runs", digest).get(digest), "stored runs");
  if (runSetDigest(runs) !== digest) throw new OpmError("invalid_argument", `the problem's runs do not hash to its runs_digest ${digest}`);
  return { baseline: problem!.baseline, runs, ...coverage };
}

/** Failures a retry cannot fix: the job is dead-lettered at once. */
const PERMANENT = new Set(["invalid_argument", "verification_failed", "verification_undecided", "not_found", "malformed_message"]);

/**
 * One compiler adapter process, the same for every compiler: registers its identity,
 * waits for admission, publishes the toolchain's catalog as PassSpecs, then claims jobs,
 * runs them on the real compiler under a heartbeated lease, and completes each with a
 * signed PerformanceSignal — or fails it with the compiler's diagnostics. Resolves when
 * `signal` aborts and running jobs are settled.
 */
export async function runAdapter(options: AdapterOptions): Promise<void> {
  const { identity, toolchain, log } = options;
  const registry = createRpcClient(RegistryService, { address: options.registry, identity });
  const jobs = createRpcClient(JobService, { address: options.registry, identity });
  try {
    const info = await toolchain.info();
    await register(registry, options, info);
    const catalog = await toolchain.catalog();
    const published = await registry.publishContracts({ decls: catalogDecls(info), passSpecs: catalogPassSpecs(info, catalog) });
    log.info("catalog published", { adapter: identity.name, compiler: info.compiler, version: info.version, passes: catalog.length, created: published.created });
    const problems = new LruMap<string, Promise<ProblemFacts>>(PROBLEM_FACTS_ENTRIES);
    const factsOf = (problemId: string): Promise<ProblemFacts> => {
      let facts = problems.get(problemId);
      if (facts === undefined) {
        facts = registry.getProblem({ problemId }).then((r) => problemFacts(options, r.problem));
        facts.catch(() => problems.delete(problemId));
        problems.set(problemId, facts);
      }
      return facts;
    };
    await claimLoop(registry, jobs, options, info, factsOf);
  } finally {
    registry.close();
    jobs.close();
  }
}

async function register(registry: RpcClient<(typeof RegistryService)["method"]>, options: AdapterOptions, info: ToolchainInfo): Promise<void> {
  const { identity, log } = options;
  const capabilities = {
    compiler: compilerToProto(info.compiler), compilerVersion: info.version, targetTriple: info.target,
    objectives: [...OBJECTIVES],
  };
  const { actor } = await registry.registerAdapter({ publicKey: identity.keys.publicKeyRaw, capabilities, owner: options.owner ?? "" });
  if (!(await awaitAdmission(registry, options, actor?.status))) throw new OpmError("unavailable", "stopped while waiting for admission");
}

/**
 * Resolves true once the adapter is admitted, polling its status with backoff, or false
 * when the adapter is stopped meanwhile. A pending or quarantined adapter waits
 * (admission, or the governors' decision on a quarantine, may come); a revoked one throws.
 * With `waitForAdmission: false` anything but admitted throws.
 */
async function awaitAdmission(registry: RpcClient<(typeof RegistryService)["method"]>, options: AdapterOptions, status: ActorStatus | undefined): Promise<boolean> {
  const { identity, log } = options;
  let delay = 250;
  let logged: ActorStatus | undefined;
  while (status !== ActorStatus.ADMITTED) {
    if (status === ActorStatus.REVOKED) throw new OpmError("permission_denied", `adapter ${identity.name} is revoked`);
    if (options.waitForAdmission === false) throw new OpmError("permission_denied", `adapter ${identity.name} is ${status === undefined ? "unknown" : ActorStatus[status].toLowerCase()}, not admitted`);
    if (options.signal.aborted) return false;
    if (status !== logged) {
      log.info(status === ActorStatus.QUARANTINED ? "quarantined by a spot check; waiting for the governors' decision" : "waiting for admission", { adapter: identity.name, keyId: identity.keys.keyId });
      logged = status;
    }
    await sleep(delay, undefined, { signal: options.signal }).catch(() => undefined);
    delay = Math.min(delay * 2, status === ActorStatus.QUARANTINED ? 60_000 : 5_000);
    if (options.signal.aborted) return false;
    status = (await registry.getActor({ name: identity.name })).actor?.status;
  }
  return true;
}


async function claimLoop(registry: RpcClient<(typeof RegistryService)["method"]>, jobs: RpcClient<(typeof JobService)["method"]>, options: AdapterOptions, info: ToolchainInfo, factsOf: FactsOf): Promise<void> {
  const concurrency = options.concurrency ?? 1;
  const running = new Set<Promise<void>>();
  let idle = 50;
  while (!options.signal.aborted) {
    const free = concurrency - running.size;
    if (free > 0) {
      let claimed: ClaimedJob[] = [];
      try {
        claimed = (await jobs.claimJobs({ max: free, leaseMs: options.leaseMs ?? 30_000 })).jobs;
      } catch (err) {
        if (!isOpmError(err, "permission_denied")) options.log.warn("claim failed", errorFields(err));
        // Quarantined or revoked since admission: wait for a decision, or stop.
        else await awaitAdmission(registry, options, (await registry.getActor({ name: options.identity.name })).actor?.status);
      }
      for (const c of claimed) {
        const p = runJob(jobs, options, info, factsOf, c).finally(() => running.delete(p));
        running.add(p);
      }
      idle = claimed.length > 0 ? 50 : Math.min(idle * 2, options.maxPollMs ?? 500);
      if (claimed.length > 0) continue;
    }
    await Promise.race([sleep(idle, undefined, { signal: options.signal }).catch(() => undefined), ...running]);
  }
  await Promise.allSettled(running);
}

async function runJob(jobs: RpcClient<(typeof JobService)["method"]>, options: AdapterOptions, info: ToolchainInfo, factsOf: FactsOf, claimed: ClaimedJob): Promise<void> {
  const job = claimed.job!;
  const { log, identity } = options;
  const leaseMs = options.leaseMs ?? 30_000;
  // Heartbeats keep the lease while the compiler runs; a dead adapter stops sending them.
  const beat = setInterval(() => {
    jobs.heartbeat({ jobId: job.id, claimToken: claimed.claimToken, leaseMs }).catch((err: unknown) => log.warn("heartbeat failed", { job: job.id, ...errorFields(err) }));
  }, Math.max(100, leaseMs / 3));
  try {
    const objective: Objective = objectiveFromProto(job.objective);
    const bytes = job.ir.length > 0 ? job.ir : storeOf(options, "IR", job.irDigest).get(job.irDigest);
    const facts = await factsOf(job.problemId);
    const started = Date.now();
    const input = { format: job.irFormat as never, bytes, runs: facts.runs, ...(facts.requiredCoverage !== undefined ? { requiredCoverage: facts.requiredCoverage } : {}) };
    const plan = { steps: job.plan.map((s) => ({ pass: s.pass, ...(s.value ? { value: s.value } : {}) })) };
    const measured = await options.toolchain.evaluate(input, plan, objective, { timeoutMs: options.evaluationTimeoutMs ?? 120_000 });
    const verdict = await verifyEvaluation(info, options.toolchain, input, plan, objective, measured, identity.name, verifierCache);
    const signal: PerformanceSignal = create(PerformanceSignalSchema, {
      problemId: job.problemId, objective: objectiveToProto(objective), baseline: facts.baseline, achieved: measured.value,
      pipeline: job.plan, inputDigest: job.irDigest, outputDigest: measured.outputDigest, compilerVersion: info.version,
      verdict,
      adapter: identity.name, measuredAtMs: BigInt(started), elapsedMs: Math.round(measured.elapsedMs), jobId: job.id,
    });
    signObject(PerformanceSignalSchema, signal, identity.name, identity.keys);
    await jobs.completeJob({ jobId: job.id, claimToken: claimed.claimToken, signal });
    log.info("job completed", { job: job.id, value: measured.value });
  } catch (err) {
    const e = isOpmError(err) ? err : new OpmError("internal", String(err), { cause: err });
    log.warn("job failed", { job: job.id, code: e.code, message: e.message });
    await jobs.failJob({
      jobId: job.id, claimToken: claimed.claimToken, code: e.code, message: e.message, detail: e.detail ?? "", retryable: !PERMANENT.has(e.code),
    }).catch((failErr: unknown) => log.warn("could not report failure", { job: job.id, ...errorFields(failErr) }));
  } finally {
    clearInterval(beat);
  }
}

/** The owner's store, for a private problem's `what` (IR, runs) with `digest`. */
function storeOf(options: AdapterOptions, what: string, digest: string): IrStore {
  if (options.irStore === undefined) throw new OpmError("not_found", `private ${what} ${digest} requested but this adapter has no store of its owner's problems`);
  return options.irStore;
}

/** Log fields of an error: code and message of an expected one (an OpmError), the whole error with its stack otherwise. */
function errorFields(err: unknown): Record<string, unknown> {
  return isOpmError(err) && err.code !== "internal" ? { code: err.code, message: err.message } : { error: err };
}

import { setTimeout as sleep } from "node:timers/promises";
import type { Plan } from "../../kernel/plan/index.js";
import { JobService, JobState } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { SignalStatus } from "../../gen/openpassmarket/v1/signal_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import type { RpcClient } from "../../kernel/wire/index.js";
import { bestOf, type Evaluation, type Strategy } from "./strategy.js";

export interface SearchRun {
  jobs: RpcClient<(typeof JobService)["method"]>;
  problemId: string;
  strategy: Strategy;
  maxEvaluations: number;
  /** Plans enqueued at once (adapters evaluate them in parallel). */
  batchSize: number;
  /** Called after every batch. */
  onProgress?: (done: number, best: Evaluation | undefined) => void;
  /** Longest wait for one batch. */
  batchTimeoutMs?: number;
  /** Aborting stops the search (for example: every local adapter has stopped). */
  signal?: AbortSignal;
}

/** One evaluation job of a search, as the registry last reported it. */
export interface SearchJob {
  jobId: string;
  signalId: string;
  adapter: string;
  status: SignalStatus;
}

export interface SearchResult {
  history: Evaluation[];
  best: Evaluation | undefined;
  /**
   * The job behind each entry of `history` (same index): its id, its signal's id when it
   * succeeded ("" otherwise), the adapter that answered, and its signal's status as last read.
   */
  jobs: SearchJob[];
  /** Jobs that failed for good (dead-lettered), with their last error. */
  failures: Array<{ plan: Plan; code: string; message: string }>;
}

/**
 * Runs a strategy against the registry: each batch of plans becomes evaluation jobs,
 * adapters claim and run them, and the signed signals they report become the history
 * the strategy sees next. Stops at `maxEvaluations` or when the strategy is done.
 * `next` is only called once every plan it proposed before has been evaluated.
 */
export async function runSearch(run: SearchRun): Promise<SearchResult> {
  const history: Evaluation[] = [];
  const jobs: SearchResult["jobs"] = [];
  const failures: SearchResult["failures"] = [];
  while (history.length < run.maxEvaluations) {
    const plans = run.strategy.next(history, Math.min(run.batchSize, run.maxEvaluations - history.length));
    if (plans.length === 0) break;
    const { jobIds } = await run.jobs.enqueueJobs({
      problemId: run.problemId,
      plans: plans.map((p) => ({ steps: p.steps.map((s) => ({ pass: s.pass, value: s.value ?? "" })) })),
    });
    const planOf = new Map(jobIds.map((id, i) => [id, plans[i]!]));
    const settled = await waitForJobs(run, jobIds);
    for (const job of settled) {
      const plan = planOf.get(job.id)!;
      jobs.push({ jobId: job.id, signalId: job.state === JobState.SUCCEEDED ? job.signalId : "", adapter: job.claimedBy, status: job.signalStatus });
      if (job.state === JobState.SUCCEEDED) {
        // A refused signal (its adapter lost a spot check) is no evaluation at all.
        history.push({ plan, value: job.signalStatus === SignalStatus.REFUSED ? undefined : job.signalMetrics?.achieved });
      } else {
        const last = job.errors[job.errors.length - 1];
        failures.push({ plan, code: last?.code ?? "unknown", message: last?.message ?? "" });
        history.push({ plan, value: undefined });
      }
    }
    await refreshProvisional(run, history, jobs);
    run.onProgress?.(history.length, bestOf(history));
  }
  return { history, best: bestOf(history), jobs, failures };
}

/**
 * Reads again the status of every signal still provisional (held for a spot check): one
 * refused since leaves the history (it is no evaluation at all), so no strategy builds on
 * a lie that has been caught and no later step reports it.
 */
export async function refreshProvisional(run: Pick<SearchRun, "jobs">, history: Evaluation[], jobs: SearchJob[]): Promise<void> {
  const open = jobs.flatMap((j, i) => (j.status === SignalStatus.PROVISIONAL ? [i] : []));
  if (open.length === 0) return;
  const now = new Map((await run.jobs.getJobs({ jobIds: open.map((i) => jobs[i]!.jobId) })).jobs.map((j) => [j.id, j]));
  for (const i of open) {
    const status = now.get(jobs[i]!.jobId)?.signalStatus ?? SignalStatus.PROVISIONAL;
    jobs[i]!.status = status;
    if (status === SignalStatus.REFUSED) history[i] = { plan: history[i]!.plan, value: undefined };
  }
}

async function waitForJobs(run: SearchRun, ids: string[]) {
  const deadline = Date.now() + (run.batchTimeoutMs ?? 30 * 60_000);
  let delay = 20;
  for (;;) {
    const { jobs } = await run.jobs.getJobs({ jobIds: ids });
    if (jobs.every((j) => j.state === JobState.SUCCEEDED || j.state === JobState.DEAD)) return jobs;
    if (run.signal?.aborted) throw new OpmError("unavailable", `search stopped: ${String(run.signal.reason ?? "aborted")}`);
    if (Date.now() > deadline) throw new OpmError("deadline_exceeded", `batch of ${ids.length} jobs did not finish in ${run.batchTimeoutMs ?? 30 * 60_000} ms`);
    await sleep(delay);
    delay = Math.min(delay * 2, 250);
  }
}

import { setTimeout as sleep } from "node:timers/promises";
import { planKey, type Plan } from "../../kernel/plan/index.js";
import { JobService, JobState, type EvaluationJob } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { SignalStatus } from "../../gen/openpassmarket/v1/signal_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import type { RpcClient } from "../../kernel/wire/index.js";
import { bestOf, type Evaluation, type Strategy } from "./strategy.js";

/** How long evaluations in flight at the time limit are still waited for, by default. */
export const DEFAULT_GRACE_MS = 2_000;

export interface SearchRun {
  jobs: RpcClient<(typeof JobService)["method"]>;
  problemId: string;
  strategy: Strategy;
  /** Evaluations at most; 0: no limit by count (`timeLimitMs` then bounds the search). */
  maxEvaluations: number;
  /** Search time at most, in ms, `elapsedMs` included; 0 or absent: no limit by time. */
  timeLimitMs?: number;
  /** Search time spent before this run (earlier sessions of a resumed campaign). */
  elapsedMs?: number;
  /** How long evaluations in flight at the time limit are still waited for (default `DEFAULT_GRACE_MS`). */
  graceMs?: number;
  /** Plans asked of the strategy at once (adapters evaluate them in parallel). */
  batchSize: number;
  /** Called after every batch. */
  onProgress?: (done: number, best: Evaluation | undefined) => void;
  /** Longest wait for one batch. */
  batchTimeoutMs?: number;
  /** Aborting fails the search (for example: every local adapter has stopped). */
  signal?: AbortSignal;
  /** Aborting stops the search: what was evaluated until then is the result (Ctrl-C). */
  stop?: AbortSignal;
  /** The campaign recording the batches: each EnqueueJobs names it. */
  campaignId?: string;
  /**
   * A resumed campaign's batches, in order: re-driven before anything new is enqueued. The
   * strategy must propose exactly each batch's plans again (it is deterministic given its
   * seed and the history), its jobs are waited for rather than enqueued again, so no
   * evaluation is lost or repeated.
   */
  recorded?: readonly RecordedBatch[];
}

/** A batch a campaign recorded: its plans and their jobs (same index). */
export interface RecordedBatch {
  sequence: number;
  jobIds: readonly string[];
  plans: readonly Plan[];
}

/** One evaluation job of a search, as the registry last reported it. */
export interface SearchJob {
  jobId: string;
  signalId: string;
  adapter: string;
  status: SignalStatus;
}

/** Why a search ended: a limit of its budget, its strategy had nothing left, or it was stopped. */
export type StopReason = "max_evaluations" | "time_limit" | "strategy_done" | "interrupted";

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

/** What `runSearch` returns: the result, why it ended and what it left running. */
export interface SearchOutcome extends SearchResult {
  stopReason: StopReason;
  /**
   * Jobs enqueued but not waited for (in flight past the time limit's grace, or at a stop):
   * they still run and count in the campaign. At the time limit, those no adapter had
   * claimed yet are withdrawn instead (`cancelled`); after a stop they stay queued, for a resume.
   */
  unsettled: string[];
  /** Jobs withdrawn at the time limit before any adapter claimed them. */
  cancelled: string[];
  /** Entries of `history` re-driven from `recorded` batches. */
  replayed: number;
  /** Search time spent, `elapsedMs` included. */
  elapsedMs: number;
}

/**
 * Runs a strategy against the registry: each batch of plans becomes evaluation jobs,
 * adapters claim and run them, and the signed signals they report become the history
 * the strategy sees next. Stops at the first of `maxEvaluations`, `timeLimitMs` (jobs in
 * flight then are waited for `graceMs` more), `stop`, or a strategy with nothing left.
 * `next` is only called once every plan it proposed before has been evaluated, with
 * `max = min(batchSize, evaluations left)`, so the calls depend on the history alone and a
 * recorded campaign re-drives exactly.
 */
export async function runSearch(run: SearchRun): Promise<SearchOutcome> {
  const started = performance.now();
  const elapsed = () => (run.elapsedMs ?? 0) + (performance.now() - started);
  const timeLimit = run.timeLimitMs ?? 0;
  const limit = run.maxEvaluations > 0 ? run.maxEvaluations : Infinity;
  if (limit === Infinity && timeLimit <= 0) throw new OpmError("invalid_argument", "a search needs a limit: max evaluations or a time limit");
  // The wait for a batch ends at the time limit plus the grace (in this run's clock).
  const waitUntil = timeLimit > 0 ? started + (timeLimit - (run.elapsedMs ?? 0)) + (run.graceMs ?? DEFAULT_GRACE_MS) : Infinity;
  const recorded = run.recorded ?? [];
  const history: Evaluation[] = [];
  const jobs: SearchResult["jobs"] = [];
  const failures: SearchResult["failures"] = [];
  let unsettled: string[] = [];
  let replayed = 0;
  let stopReason: StopReason | undefined;
  let batch = 0;
  for (; stopReason === undefined; batch++) {
    if (history.length >= limit) { stopReason = "max_evaluations"; break; }
    if (run.stop?.aborted) { stopReason = "interrupted"; break; }
    const replaying = batch < recorded.length;
    // A recorded batch exists already: its jobs are waited for even past the time limit's start.
    if (!replaying && timeLimit > 0 && elapsed() >= timeLimit) { stopReason = "time_limit"; break; }
    const plans = run.strategy.next(history, Math.min(run.batchSize, limit - history.length));
    let jobIds: readonly string[];
    if (replaying) {
      requireRecordedPlans(recorded[batch]!, plans, run.strategy.name);
      jobIds = recorded[batch]!.jobIds;
      replayed += jobIds.length;
    } else {
      if (plans.length === 0) { stopReason = "strategy_done"; break; }
      ({ jobIds } = await run.jobs.enqueueJobs({
        problemId: run.problemId,
        plans: plans.map((p) => ({ steps: p.steps.map((s) => ({ pass: s.pass, value: s.value ?? "" })) })),
        ...(run.campaignId ? { campaignId: run.campaignId, campaignElapsedMs: BigInt(Math.round(elapsed())) } : {}),
      }));
    }
    const waited = await waitForJobs(run, jobIds, waitUntil);
    waited.settled.forEach((job, i) => {
      if (job === undefined) return;
      const plan = plans[i]!;
      jobs.push({ jobId: job.id, signalId: job.state === JobState.SUCCEEDED ? job.signalId : "", adapter: job.claimedBy, status: job.signalStatus });
      if (job.state === JobState.SUCCEEDED) {
        // A refused signal (its adapter lost a spot check) is no evaluation at all.
        history.push({ plan, value: job.signalStatus === SignalStatus.REFUSED ? undefined : job.signalMetrics?.achieved });
      } else {
        // Dead, or withdrawn by a member (CancelJobs) while this search waited for it.
        const last = job.state === JobState.CANCELLED ? { code: "cancelled", message: "withdrawn before any adapter claimed it" } : job.errors[job.errors.length - 1];
        failures.push({ plan, code: last?.code ?? "unknown", message: last?.message ?? "" });
        history.push({ plan, value: undefined });
      }
    });
    await refreshProvisional(run, history, jobs);
    run.onProgress?.(history.length, bestOf(history));
    if (waited.cut !== undefined) {
      stopReason = waited.cut;
      unsettled = jobIds.filter((_, i) => waited.settled[i] === undefined);
    }
  }
  // A stop before every recorded batch was re-driven leaves their jobs running too (`batch` is the first not waited for).
  for (const r of recorded.slice(batch)) unsettled.push(...r.jobIds);
  let cancelled: string[] = [];
  if (stopReason === "time_limit" && unsettled.length > 0) {
    // Nobody waits for them any more: adapters should not spend time on them.
    const withdrawn = await run.jobs.cancelJobs({ problemId: run.problemId, jobIds: unsettled });
    [cancelled, unsettled] = [withdrawn.cancelledJobIds, withdrawn.keptJobIds];
  }
  return { history, best: bestOf(history), jobs, failures, stopReason, unsettled, cancelled, replayed, elapsedMs: Math.round(elapsed()) };
}

/** Throws failed_precondition unless `plans` are exactly the recorded batch's plans, in order. */
export function requireRecordedPlans(recorded: RecordedBatch, plans: readonly Plan[], strategy: string): void {
  const differs = plans.length !== recorded.plans.length ? -1 : plans.findIndex((p, i) => planKey(p) !== planKey(recorded.plans[i]!));
  if (plans.length === recorded.plans.length && differs === -1) return;
  const what = differs === -1
    ? `${plans.length} plans where it recorded ${recorded.plans.length}`
    : `plan ${differs + 1} ${JSON.stringify(planKey(plans[differs]!))} where it recorded ${JSON.stringify(planKey(recorded.plans[differs]!))}`;
  throw new OpmError("failed_precondition",
    `the campaign cannot resume deterministically: in batch ${recorded.sequence} strategy ${strategy} proposed ${what} ` +
    "(a strategy must be deterministic given its seed, the history and the plan set; the history changes only if a spot check refused a signal since)",
    { field: "campaign_id" });
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

/**
 * Waits until every job of `ids` succeeded, died or was cancelled, or until `until` (performance.now()
 * time: the time limit plus the grace) or a stop. `settled` is parallel to `ids`, with
 * undefined for a job not finished when the wait was cut.
 */
async function waitForJobs(run: SearchRun, ids: readonly string[], until: number): Promise<{ settled: Array<EvaluationJob | undefined>; cut?: "time_limit" | "interrupted" }> {
  const deadline = Date.now() + (run.batchTimeoutMs ?? 30 * 60_000);
  let delay = 20;
  for (;;) {
    const byId = new Map((await run.jobs.getJobs({ jobIds: [...ids] })).jobs.map((j) => [j.id, j]));
    const settled = ids.map((id) => {
      const j = byId.get(id);
      return j !== undefined && (j.state === JobState.SUCCEEDED || j.state === JobState.DEAD || j.state === JobState.CANCELLED) ? j : undefined;
    });
    if (settled.every((j) => j !== undefined)) return { settled };
    // A stop asked for (Ctrl-C) wins over adapters stopping with it.
    if (run.stop?.aborted) return { settled, cut: "interrupted" };
    if (performance.now() >= until) return { settled, cut: "time_limit" };
    if (run.signal?.aborted) throw new OpmError("unavailable", `search stopped: ${String(run.signal.reason ?? "aborted")}`);
    if (Date.now() > deadline) throw new OpmError("deadline_exceeded", `batch of ${ids.length} jobs did not finish in ${run.batchTimeoutMs ?? 30 * 60_000} ms`);
    await sleep(delay);
    delay = Math.min(delay * 2, 250);
  }
}

import { create, equals } from "@bufbuild/protobuf";
import { OpmError, invalidArgument } from "../../kernel/errors/index.js";
import {
  CompleteJobResponseSchema,
  FailJobResponseSchema,
  HeartbeatResponseSchema,
  JobState,
  type CompleteJobRequest,
  type CompleteJobResponse,
  type FailJobRequest,
  type FailJobResponse,
  type HeartbeatRequest,
  type HeartbeatResponse,
} from "../../gen/openpassmarket/v1/job_service_pb.js";
import { PlanStepSchema } from "../../gen/openpassmarket/v1/signal_pb.js";
import { acceptSignal, requireReporter, type SignalDeps } from "../registry/index.js";
import type { CallContext } from "../rpc/index.js";
import { backoffMs, type JobsConfig } from "./jobs-config.js";
import { appendError, jobFromRow, lockJob, stateText, type JobRow } from "./job-repository.js";
import type { SpotChecks } from "./spot-checks.js";

/**
 * The job `id` locked, if `token` holds its live lease; otherwise FAILED_PRECONDITION
 * saying why (stale token, expired lease, already settled) and nothing changes.
 */
async function requireLease(ctx: CallContext, id: string, token: string): Promise<JobRow> {
  if (token === "") throw invalidArgument("claim_token", "is required");
  const row = await lockJob(ctx.db, id);
  if (row.state !== stateText(JobState.LEASED) || row.claim_token !== token) {
    throw new OpmError("failed_precondition", `job ${id} is ${row.state}${row.state === "leased" ? " under another claim" : ""}; claim token is stale`, { field: "claim_token" });
  }
  if (row.lease_expires_at_ms < ctx.now) {
    throw new OpmError("failed_precondition", `lease on job ${id} expired at ${row.lease_expires_at_ms} (now ${ctx.now})`, { field: "claim_token" });
  }
  if (row.claimed_by !== ctx.actor) throw new OpmError("permission_denied", `job ${id} is leased to ${row.claimed_by}, not ${ctx.actor}`);
  return row;
}

/**
 * Extends a live lease by `lease_ms` from now, for an adapter still admitted: a
 * quarantined or revoked one is refused (PERMISSION_DENIED), so it cannot hold a job.
 */
export async function heartbeat(ctx: CallContext, deps: SignalDeps, config: JobsConfig, req: HeartbeatRequest): Promise<HeartbeatResponse> {
  if (req.leaseMs > config.maxLeaseMs) throw invalidArgument("lease_ms", `${req.leaseMs} > ${config.maxLeaseMs}`);
  await requireReporter(ctx, deps);
  await requireLease(ctx, req.jobId, req.claimToken);
  const expires = ctx.now + (req.leaseMs || config.defaultLeaseMs);
  await ctx.db.updateTable("jobs").set({ lease_expires_at_ms: expires, updated_at_ms: ctx.now }).where("id", "=", req.jobId).execute();
  return create(HeartbeatResponseSchema, { leaseExpiresAtMs: BigInt(expires) });
}

/**
 * Completes a leased job with its signed signal, which must answer exactly this job
 * (job id, problem, plan). The signal is stored through the same checks as SubmitSignal
 * (`acceptSignal`); then `spotChecks`, when given, may hold it provisional or judge the
 * check it answers.
 */
export async function completeJob(ctx: CallContext, deps: SignalDeps, req: CompleteJobRequest, spotChecks?: SpotChecks): Promise<CompleteJobResponse> {
  const row = await requireLease(ctx, req.jobId, req.claimToken);
  const signal = req.signal;
  if (signal === undefined) throw invalidArgument("signal", "is required");
  if (signal.jobId !== row.id) throw invalidArgument("signal.job_id", `${JSON.stringify(signal.jobId)} is not job ${row.id}`);
  if (signal.problemId !== row.problem_id) throw invalidArgument("signal.problem_id", `${signal.problemId} is not the job's problem ${row.problem_id}`);
  const plan = jobFromRow(row).plan;
  if (signal.pipeline.length !== plan.length || signal.pipeline.some((s, i) => !equals(PlanStepSchema, s, plan[i]!))) {
    throw invalidArgument("signal.pipeline", "does not match the job's plan");
  }
  const { signalId } = await acceptSignal(ctx, deps, await requireReporter(ctx, deps), signal);
  const done = { state: stateText(JobState.SUCCEEDED), signal_id: signalId, updated_at_ms: ctx.now };
  await ctx.db.updateTable("jobs").set(done).where("id", "=", row.id).execute();
  await ctx.audit("job.complete", row.id, `signal ${signalId}`);
  await spotChecks?.afterCompletion(ctx, { ...row, ...done }, signalId, signal.achieved);
  return create(CompleteJobResponseSchema, { signalId });
}

/**
 * Records a failed attempt. Retryable failures go back to the queue after exponential
 * backoff; the last attempt, or a non-retryable failure, dead-letters the job.
 */
export async function failJob(ctx: CallContext, config: JobsConfig, req: FailJobRequest, spotChecks?: SpotChecks): Promise<FailJobResponse> {
  const row = await requireLease(ctx, req.jobId, req.claimToken);
  if (req.code === "") throw invalidArgument("code", "is required");
  const errors = appendError(row, {
    attempt: row.attempts, adapter: ctx.actor, code: req.code.slice(0, 64), message: req.message.slice(0, 2000),
    detail: req.detail.slice(0, 16_000), atMs: BigInt(ctx.now),
  });
  const dead = !req.retryable || row.attempts >= row.max_attempts;
  const next = {
    state: stateText(dead ? JobState.DEAD : JobState.QUEUED), errors, claim_token: "", lease_expires_at_ms: 0,
    available_at_ms: dead ? row.available_at_ms : ctx.now + backoffMs(config, row.attempts), updated_at_ms: ctx.now,
  };
  await ctx.db.updateTable("jobs").set(next).where("id", "=", row.id).execute();
  await ctx.audit(dead ? "job.dead_letter" : "job.fail", row.id, `${req.code}: ${req.message}`.slice(0, 500));
  if (dead) await spotChecks?.afterDeadLetter(ctx, { ...row, ...next }, req.code);
  return create(FailJobResponseSchema, { job: jobFromRow({ ...row, ...next }) });
}

import { create, fromBinary, fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import type { Kysely, Selectable } from "kysely";
import { OpmError } from "../../kernel/errors/index.js";
import {
  EvaluationJobSchema,
  JobAttemptErrorSchema,
  JobState,
  PlanSchema,
  SignalMetricsSchema,
  type EvaluationJob,
  type JobAttemptError,
} from "../../gen/openpassmarket/v1/job_service_pb.js";
import { PerformanceSignalSchema, SignalStatus } from "../../gen/openpassmarket/v1/signal_pb.js";
import { signalStatusOf } from "../registry/index.js";
import type { Database, JobsTable } from "../storage/index.js";

/** A stored job row. */
export type JobRow = Selectable<JobsTable>;

const STATE_TEXT: Record<JobState, string> = {
  [JobState.UNSPECIFIED]: "unspecified",
  [JobState.QUEUED]: "queued",
  [JobState.LEASED]: "leased",
  [JobState.SUCCEEDED]: "succeeded",
  [JobState.DEAD]: "dead",
  [JobState.CANCELLED]: "cancelled",
};

/** The stored text of a state. */
export function stateText(state: JobState): string {
  return STATE_TEXT[state];
}

/**
 * Jobs with the status and stored bytes of the signal that completed each (`signal_status`,
 * `signal_body`, null before), to filter and order by `jobs.` columns.
 */
export function selectJobsWithSignalStatus(db: Kysely<Database>) {
  return db.selectFrom("jobs").leftJoin("signals", "signals.id", "jobs.signal_id").selectAll("jobs")
    .select(["signals.status as signal_status", "signals.body as signal_body"]);
}

/**
 * Converts a row read by `selectJobsWithSignalStatus`: the job with its signal's status,
 * and, when `exact` — the caller may read the problem's exact results: the job is public
 * (no owner), or the caller holds `read` in the owner's organisation or is one of its
 * adapters (`organisationReader`) —, its signal's baseline and achieved metric.
 */
export function jobWithStatusFromRow(row: JobRow & { signal_status: string | null; signal_body: Uint8Array | null }, exact: boolean): EvaluationJob {
  const job = jobFromRow(row, signalStatusOf(row.signal_status));
  if (row.signal_body !== null && exact) {
    const { baseline, achieved } = fromBinary(PerformanceSignalSchema, row.signal_body);
    job.signalMetrics = create(SignalMetricsSchema, { baseline, achieved });
  }
  return job;
}

/** Reads job `id` locked for update; throws not_found naming `field`. */
export async function lockJob(db: Kysely<Database>, id: string, field = "job_id"): Promise<JobRow> {
  const row = await db.selectFrom("jobs").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
  if (row === undefined) throw new OpmError("not_found", `field \`${field}\`: unknown job ${JSON.stringify(id)}`, { field });
  return row;
}

/** The attempt errors stored with a job. */
export function errorsOf(row: Pick<JobRow, "errors">): JobAttemptError[] {
  return (JSON.parse(row.errors) as JsonValue[]).map((e) => fromJson(JobAttemptErrorSchema, e));
}

/** `errors` with one more entry, in stored form. */
export function appendError(row: Pick<JobRow, "errors">, error: Omit<JobAttemptError, "$typeName">): string {
  const list = JSON.parse(row.errors) as JsonValue[];
  list.push(toJson(JobAttemptErrorSchema, create(JobAttemptErrorSchema, error)));
  return JSON.stringify(list);
}

/** Converts a row to the protobuf job (without IR and claim token), with its signal's status where known. */
export function jobFromRow(row: JobRow, signalStatus = SignalStatus.UNSPECIFIED): EvaluationJob {
  const state = Number(Object.entries(STATE_TEXT).find(([, t]) => t === row.state)?.[0] ?? 0) as JobState;
  return create(EvaluationJobSchema, {
    id: row.id,
    problemId: row.problem_id,
    plan: fromBinary(PlanSchema, row.plan).steps,
    compiler: row.compiler,
    compilerVersion: row.compiler_version,
    objective: row.objective,
    irDigest: row.ir_digest,
    irFormat: row.ir_format,
    owner: row.owner,
    state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    availableAtMs: BigInt(row.available_at_ms),
    leaseExpiresAtMs: BigInt(row.lease_expires_at_ms),
    claimedBy: row.claimed_by,
    errors: errorsOf(row),
    signalId: row.signal_id,
    createdAtMs: BigInt(row.created_at_ms),
    checkOf: row.check_of,
    signalStatus,
  });
}

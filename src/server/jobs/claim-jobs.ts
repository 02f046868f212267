import { create, fromBinary } from "@bufbuild/protobuf";
import { randomBytes } from "node:crypto";
import { invalidArgument } from "../../kernel/errors/index.js";
import { ClaimedJobSchema, ClaimJobsResponseSchema, JobState, type ClaimJobsRequest, type ClaimJobsResponse, type ClaimedJob } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { LocalProblemSchema } from "../../gen/openpassmarket/v1/problem_pb.js";
import { requireCaller, type RegistryDeps } from "../registry/index.js";
import type { CallContext } from "../rpc/index.js";
import type { JobsConfig } from "./jobs-config.js";
import { appendError, jobFromRow, stateText } from "./job-repository.js";
import type { SpotChecks } from "./spot-checks.js";

const MAX_CLAIM = 64;

/**
 * Leases up to `max` runnable jobs to the calling adapter: queued jobs that are due, and
 * leased jobs whose lease expired (at-least-once: their holder is presumed dead; the
 * expiry is recorded as a failed attempt). Only jobs whose compiler and exact version
 * the adapter declared, for private problems only its owner's jobs, and never a spot
 * check of the adapter's own answer. Rows are taken with `FOR UPDATE SKIP LOCKED`, so
 * concurrent claimers never get the same job.
 * A job whose expired lease was its last attempt is dead-lettered instead.
 */
export async function claimJobs(ctx: CallContext, deps: RegistryDeps, config: JobsConfig, req: ClaimJobsRequest, spotChecks?: SpotChecks): Promise<ClaimJobsResponse> {
  const adapter = await requireCaller(ctx, "adapter", deps.keys);
  await deps.admission.requireAdmitted(ctx, adapter);
  if (req.max === 0 || req.max > MAX_CLAIM) throw invalidArgument("max", `${req.max} is not in 1..${MAX_CLAIM}`);
  if (req.leaseMs > config.maxLeaseMs) throw invalidArgument("lease_ms", `${req.leaseMs} > ${config.maxLeaseMs}`);
  const leaseMs = req.leaseMs || config.defaultLeaseMs;
  const caps = adapter.capabilities;
  if (caps === undefined) return create(ClaimJobsResponseSchema, { jobs: [] });

  const rows = await ctx.db.selectFrom("jobs").selectAll()
    .where("compiler", "=", caps.compiler)
    .where("compiler_version", "=", caps.compilerVersion)
    // An adapter without an owner runs public jobs only; an owned one also its owner's private jobs.
    .where((eb) => (adapter.owner === "" ? eb("owner", "=", "") : eb("owner", "in", ["", adapter.owner])))
    // A spot check or tie-break never goes to an adapter whose answer it checks.
    .where((eb) => eb.not(eb(eb.val(ctx.actor), "=", eb.fn.any("excluded_adapters"))))
    .where((eb) => eb.or([
      eb.and([eb("state", "=", stateText(JobState.QUEUED)), eb("available_at_ms", "<=", ctx.now)]),
      eb.and([eb("state", "=", stateText(JobState.LEASED)), eb("lease_expires_at_ms", "<", ctx.now)]),
    ]))
    .orderBy("available_at_ms").orderBy("created_at_ms").orderBy("id")
    .limit(req.max).forUpdate().skipLocked().execute();

  const claimed: ClaimedJob[] = [];
  const irCache = new Map<string, Uint8Array>();
  for (const row of rows) {
    let errors = row.errors;
    if (row.state === stateText(JobState.LEASED)) {
      errors = appendError(row, {
        attempt: row.attempts, adapter: row.claimed_by, code: "lease_expired",
        message: `lease expired at ${row.lease_expires_at_ms} without completion`, detail: "", atMs: BigInt(ctx.now),
      });
      if (row.attempts >= row.max_attempts) {
        await ctx.db.updateTable("jobs").set({ state: stateText(JobState.DEAD), errors, claim_token: "", updated_at_ms: ctx.now })
          .where("id", "=", row.id).execute();
        await ctx.audit("job.dead_letter", row.id, `lease expired after ${row.attempts} attempts`);
        await spotChecks?.afterDeadLetter(ctx, { ...row, state: stateText(JobState.DEAD), errors }, "lease_expired");
        continue;
      }
    }
    const token = randomBytes(24).toString("base64url");
    const updated = {
      ...row, state: stateText(JobState.LEASED), attempts: row.attempts + 1, lease_expires_at_ms: ctx.now + leaseMs,
      claimed_by: ctx.actor, claim_token: token, errors, updated_at_ms: ctx.now,
    };
    await ctx.db.updateTable("jobs").set({
      state: updated.state, attempts: updated.attempts, lease_expires_at_ms: updated.lease_expires_at_ms,
      claimed_by: updated.claimed_by, claim_token: token, errors, updated_at_ms: ctx.now,
    }).where("id", "=", row.id).execute();
    const job = jobFromRow(updated);
    if (row.owner === "") job.ir = await publicIr(ctx, row.problem_id, irCache);
    claimed.push(create(ClaimedJobSchema, { job, claimToken: token }));
  }
  if (claimed.length > 0) await ctx.audit("jobs.claim", claimed.map((c) => c.job!.id).join(" ").slice(0, 2000), `${claimed.length} jobs`);
  return create(ClaimJobsResponseSchema, { jobs: claimed });
}

async function publicIr(ctx: CallContext, problemId: string, cache: Map<string, Uint8Array>): Promise<Uint8Array> {
  const cached = cache.get(problemId);
  if (cached !== undefined) return cached;
  const row = await ctx.db.selectFrom("problems").select("body").where("id", "=", problemId).executeTakeFirstOrThrow();
  const ir = fromBinary(LocalProblemSchema, row.body).ir;
  cache.set(problemId, ir);
  return ir;
}

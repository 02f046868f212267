import { create } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import { canonicalBytes } from "../../kernel/codec/index.js";
import { invalidArgument } from "../../kernel/errors/index.js";
import { EnqueueJobsResponseSchema, PlanSchema, type EnqueueJobsRequest, type EnqueueJobsResponse } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { Visibility } from "../../gen/openpassmarket/v1/problem_pb.js";
import { loadProblem, requireCaller } from "../registry/index.js";
import type { CallContext } from "../rpc/index.js";
import type { JobsConfig } from "./jobs-config.js";
import { stateText } from "./job-repository.js";
import { JobState } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { recordCampaignBatch } from "../campaigns/index.js";

const MAX_PLANS = 1000;
const MAX_STEPS = 1000;

/**
 * Queues one evaluation job per plan for a problem of the caller's organisation (the
 * access table has checked that the caller holds `write` in the problem's organisation).
 * Jobs of a private problem carry its owner, so only that participant's adapters can
 * claim them.
 */
export async function enqueueJobs(ctx: CallContext, config: JobsConfig, req: EnqueueJobsRequest): Promise<EnqueueJobsResponse> {
  await requireCaller(ctx, "participant");
  if (req.plans.length === 0) throw invalidArgument("plans", "at least one plan is required");
  if (req.plans.length > MAX_PLANS) throw invalidArgument("plans", `${req.plans.length} plans; at most ${MAX_PLANS} per call`);
  if (req.maxAttempts > 100) throw invalidArgument("max_attempts", `${req.maxAttempts} > 100`);
  const problem = await loadProblem(ctx, req.problemId, "problem_id");
  const ids: string[] = [];
  const rows = req.plans.map((plan, i) => {
    if (plan.steps.length > MAX_STEPS) throw invalidArgument(`plans[${i}].steps`, `${plan.steps.length} steps; at most ${MAX_STEPS}`);
    plan.steps.forEach((s, j) => {
      if (s.pass === "" || s.pass.length > 256) throw invalidArgument(`plans[${i}].steps[${j}].pass`, "must be 1–256 chars");
    });
    const id = randomUUID();
    ids.push(id);
    return {
      id, problem_id: req.problemId, plan: canonicalBytes(PlanSchema, create(PlanSchema, { steps: plan.steps })),
      compiler: problem.compiler, compiler_version: problem.compilerVersion, objective: problem.objective,
      ir_digest: problem.irDigest, ir_format: problem.irFormat,
      owner: problem.visibility === Visibility.PRIVATE ? problem.participant : "",
      state: stateText(JobState.QUEUED), attempts: 0, max_attempts: req.maxAttempts || config.defaultMaxAttempts,
      available_at_ms: ctx.now, lease_expires_at_ms: 0, claimed_by: "", claim_token: "", errors: "[]", signal_id: "",
      created_at_ms: ctx.now, updated_at_ms: ctx.now,
    };
  });
  for (let i = 0; i < rows.length; i += 200) await ctx.db.insertInto("jobs").values(rows.slice(i, i + 200)).execute();
  // A search's batch: recorded in its campaign in this transaction, in the order batches commit.
  if (req.campaignId !== "") {
    await recordCampaignBatch(ctx, { campaignId: req.campaignId, problemId: req.problemId, jobIds: ids, elapsedMs: Number(req.campaignElapsedMs) });
  }
  await ctx.audit("jobs.enqueue", req.problemId, `${rows.length} jobs`);
  return create(EnqueueJobsResponseSchema, { jobIds: ids });
}

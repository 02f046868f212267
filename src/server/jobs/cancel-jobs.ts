import { create } from "@bufbuild/protobuf";
import { invalidArgument, OpmError } from "../../kernel/errors/index.js";
import { CancelJobsResponseSchema, JobState, type CancelJobsRequest, type CancelJobsResponse } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { loadProblem, requireCaller } from "../registry/index.js";
import type { CallContext } from "../rpc/index.js";
import { stateText } from "./job-repository.js";

const MAX_IDS = 1000;

/**
 * Withdraws the named jobs of a problem of the caller's organisation (the access table
 * checked `write` there) that are still queued — a search at its time limit, so that
 * adapters do not spend the market's time on plans nobody waits for. A job already
 * claimed finishes as usual, a settled one stays settled, and spot checks are the
 * market's own and never withdrawn: those come back as `kept`. Naming a job of another
 * problem, or an unknown one, is refused and cancels nothing. The rows are locked, so a
 * job is either claimed or cancelled, never both.
 */
export async function cancelJobs(ctx: CallContext, req: CancelJobsRequest): Promise<CancelJobsResponse> {
  await requireCaller(ctx, "participant");
  if (req.jobIds.length === 0) throw invalidArgument("job_ids", "at least one job id is required");
  if (req.jobIds.length > MAX_IDS) throw invalidArgument("job_ids", `${req.jobIds.length} ids; at most ${MAX_IDS} per call`);
  await loadProblem(ctx, req.problemId, "problem_id");
  const ids = [...new Set(req.jobIds)];
  const rows = await ctx.db.selectFrom("jobs").select(["id", "problem_id", "state", "check_of"]).where("id", "in", ids).orderBy("id").forUpdate().execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const foreign = ids.find((id) => byId.get(id)?.problem_id !== req.problemId);
  if (foreign !== undefined) {
    throw new OpmError("not_found", `field \`job_ids\`: ${JSON.stringify(foreign)} is not a job of problem ${req.problemId}`, { field: "job_ids" });
  }
  const queued = stateText(JobState.QUEUED);
  const cancel = ids.filter((id) => byId.get(id)!.state === queued && byId.get(id)!.check_of === "");
  if (cancel.length > 0) {
    await ctx.db.updateTable("jobs").set({ state: stateText(JobState.CANCELLED), updated_at_ms: ctx.now }).where("id", "in", cancel).execute();
    await ctx.audit("jobs.cancel", req.problemId, `${cancel.length} queued jobs withdrawn`);
  }
  const cancelled = new Set(cancel);
  // `ids` keeps the order of first mention.
  return create(CancelJobsResponseSchema, { cancelledJobIds: cancel, keptJobIds: ids.filter((id) => !cancelled.has(id)) });
}

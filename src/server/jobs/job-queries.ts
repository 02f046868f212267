import { create } from "@bufbuild/protobuf";
import { invalidArgument } from "../../kernel/errors/index.js";
import {
  GetJobsResponseSchema,
  JobState,
  ListJobsResponseSchema,
  type GetJobsRequest,
  type GetJobsResponse,
  type ListJobsRequest,
  type ListJobsResponse,
} from "../../gen/openpassmarket/v1/job_service_pb.js";
import { organisationReader } from "../access/index.js";
import type { CallContext } from "../rpc/index.js";
import { jobWithStatusFromRow, selectJobsWithSignalStatus, stateText, type JobRow } from "./job-repository.js";

/**
 * Jobs by id with their signals' statuses, in request order; unknown ids are left out.
 * A completed job carries its signal's baseline and achieved metric where the caller may
 * read the problem's exact results (see `jobWithStatusFromRow`).
 */
export async function getJobs(ctx: CallContext, req: GetJobsRequest): Promise<GetJobsResponse> {
  if (req.jobIds.length > 1000) throw invalidArgument("job_ids", `${req.jobIds.length} ids; at most 1000`);
  if (req.jobIds.length === 0) return create(GetJobsResponseSchema, { jobs: [] });
  const rows = await selectJobsWithSignalStatus(ctx.db).where("jobs.id", "in", req.jobIds).execute();
  const exact = await exactOwners(ctx, rows);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return create(GetJobsResponseSchema, { jobs: req.jobIds.flatMap((id) => (byId.has(id) ? [jobWithStatusFromRow(byId.get(id)!, exact.has(byId.get(id)!.owner))] : [])) });
}

/** Jobs of a problem and/or in a state with their signals' statuses (and metrics, as in GetJobs), oldest first (at most 1000). */
export async function listJobs(ctx: CallContext, req: ListJobsRequest): Promise<ListJobsResponse> {
  if (req.problemId === "" && req.state === JobState.UNSPECIFIED) throw invalidArgument("problem_id", "give a problem id or a state");
  let q = selectJobsWithSignalStatus(ctx.db);
  if (req.problemId !== "") q = q.where("jobs.problem_id", "=", req.problemId);
  if (req.state !== JobState.UNSPECIFIED) q = q.where("jobs.state", "=", stateText(req.state));
  const rows = await q.orderBy("jobs.created_at_ms").orderBy("jobs.id").limit(Math.min(req.limit || 1000, 1000)).execute();
  const exact = await exactOwners(ctx, rows);
  return create(ListJobsResponseSchema, { jobs: rows.map((r) => jobWithStatusFromRow(r, exact.has(r.owner))) });
}

/**
 * The owners among `rows` whose jobs' exact metrics the caller may read: "" (public jobs)
 * always, an organisation where the caller holds `read` or is one of its adapters. (The
 * access table's filter then drops the private jobs the caller may not read at all.)
 */
async function exactOwners(ctx: CallContext, rows: readonly Pick<JobRow, "owner">[]): Promise<Set<string>> {
  const mayRead = await organisationReader(ctx);
  const out = new Set([""]);
  for (const owner of new Set(rows.map((r) => r.owner))) if (owner !== "" && (await mayRead(owner))) out.add(owner);
  return out;
}

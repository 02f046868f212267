import { create, fromBinary } from "@bufbuild/protobuf";
import { OpmError, invalidArgument } from "../../kernel/errors/index.js";
import {
  JobState,
  ReportDiscrepancyResponseSchema,
  type ReportDiscrepancyRequest,
  type ReportDiscrepancyResponse,
} from "../../gen/openpassmarket/v1/job_service_pb.js";
import { Visibility } from "../../gen/openpassmarket/v1/problem_pb.js";
import { PerformanceSignalSchema, SignalStatus } from "../../gen/openpassmarket/v1/signal_pb.js";
import { loadProblem, requireCaller, requireDigest, requireFinite, signalStatusOf } from "../registry/index.js";
import type { CallContext } from "../rpc/index.js";
import { lockJob, stateText } from "./job-repository.js";
import type { SpotChecks } from "./spot-checks.js";

/**
 * The problem's organisation's evidence (from a caller holding `write` there: the access
 * table checked it) that a job's result did not reproduce: its own toolchain measured
 * `reproduced` (output `reproduced_output_digest`) for the job's plan where the job's
 * signal claims otherwise. The report is not a vote — a participant is no adapter,
 * and its word alone must not refuse anyone's signal — but it makes the job a spot check:
 * the signal becomes PROVISIONAL and a check job is queued, judged like any other (a
 * confirmed lie quarantines the adapter). A job is checked once; a report on a job that
 * already has a check, or whose signal is already refused, only adds its evidence to the
 * audit log (`signal.discrepancy`, always written).
 *
 * On a public problem, the organisation's adapters and the reporter's own may not answer
 * the check or its tie-break (nor may the reported adapter): otherwise a participant with
 * two adapters could report an honest result on its own problem and outvote it. A private
 * problem's jobs run only on its owner's adapters, so there the check goes to another of them.
 */
export async function reportDiscrepancy(ctx: CallContext, spotChecks: SpotChecks, req: ReportDiscrepancyRequest): Promise<ReportDiscrepancyResponse> {
  await requireCaller(ctx, "participant");
  requireDigest(req.signalId, "signal_id");
  requireFinite(req.reproduced, "reproduced");
  requireDigest(req.reproducedOutputDigest, "reproduced_output_digest");
  const row = await lockJob(ctx.db, req.jobId);
  const problem = await loadProblem(ctx, row.problem_id, "job_id");
  if (row.check_of !== "") {
    throw new OpmError("failed_precondition", `field \`job_id\`: job ${row.id} is a spot check of job ${row.check_of}; report on job ${row.check_of}`, { field: "job_id" });
  }
  if (row.state !== stateText(JobState.SUCCEEDED)) {
    throw new OpmError("failed_precondition", `field \`job_id\`: job ${row.id} is ${row.state}: it has no result to dispute`, { field: "job_id" });
  }
  if (row.signal_id !== req.signalId) {
    throw new OpmError("failed_precondition", `field \`signal_id\`: job ${row.id} was completed with signal ${row.signal_id}, not ${req.signalId}`, { field: "signal_id" });
  }
  const stored = await ctx.db.selectFrom("signals").select(["body", "status"]).where("id", "=", row.signal_id).executeTakeFirstOrThrow();
  const signal = fromBinary(PerformanceSignalSchema, stored.body);
  if (signal.achieved === req.reproduced && signal.outputDigest === req.reproducedOutputDigest) {
    throw invalidArgument("reproduced", `${req.reproduced} with output ${req.reproducedOutputDigest} is what signal ${row.signal_id} reports: nothing to dispute`);
  }

  const evidence = `${ctx.actor} reproduced ${req.reproduced} (output ${req.reproducedOutputDigest}); signal ${row.signal_id} by ${row.claimed_by} claims ${signal.achieved} (output ${signal.outputDigest})`;
  const status = signalStatusOf(stored.status);
  const [existing] = await ctx.db.selectFrom("jobs").select("id").where("check_of", "=", row.id).orderBy("created_at_ms").orderBy("id").limit(1).execute();
  if (existing !== undefined || status === SignalStatus.REFUSED) {
    const why = existing !== undefined ? `already checked by job ${existing.id}` : "the signal is already refused";
    await ctx.audit("signal.discrepancy", row.id, `${evidence}; ${why}, no new check`);
    return create(ReportDiscrepancyResponseSchema, { checkJobId: existing?.id ?? "", signalStatus: status, checkQueued: false });
  }
  const excluded = [row.claimed_by];
  if (problem.visibility === Visibility.PUBLIC) {
    const own = await ctx.db.selectFrom("actors").select("name").where("kind", "=", "adapter")
      .where("owner", "in", [...new Set([problem.participant, ctx.actor])]).orderBy("name").execute();
    excluded.push(...own.map((a) => a.name).filter((name) => name !== row.claimed_by));
  }
  const checkJobId = await spotChecks.holdForCheck(ctx, row, excluded, `${ctx.actor === problem.participant ? `its owner ${ctx.actor}` : `${ctx.actor} (a member of its owner ${problem.participant})`} reported that it did not reproduce`);
  await ctx.audit("signal.discrepancy", row.id, `${evidence}; spot check job ${checkJobId} queued`);
  return create(ReportDiscrepancyResponseSchema, { checkJobId, signalStatus: SignalStatus.PROVISIONAL, checkQueued: true });
}

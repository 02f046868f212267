import { invalidArgument, OpmError } from "../../kernel/errors/index.js";
import type { CallContext } from "../rpc/index.js";
import { loadCampaign } from "./campaign-repository.js";

/** What EnqueueJobs says of the batch it records in a campaign. */
export interface CampaignBatchInput {
  campaignId: string;
  problemId: string;
  /** The jobs just created, in the order of the plans. */
  jobIds: readonly string[];
  /** The campaign's search time spent when the batch was asked for. */
  elapsedMs: number;
}

/**
 * Records `jobIds` as the campaign's next batch, in the transaction that creates the jobs:
 * only its holder may, on its own problem, while it is active and within its evaluation
 * budget. The campaign row is locked, so batches are numbered in the order they commit.
 * Returns the batch's sequence number.
 */
export async function recordCampaignBatch(ctx: CallContext, input: CampaignBatchInput): Promise<number> {
  const row = await loadCampaign(ctx.db, input.campaignId, "campaign_id", true);
  if (row.problem_id !== input.problemId) {
    throw invalidArgument("campaign_id", `campaign ${row.id} searches problem ${row.problem_id}, not ${input.problemId}`);
  }
  if (row.holder !== ctx.actor) {
    throw new OpmError("permission_denied", `campaign ${row.id} is held by ${row.holder}, not ${ctx.actor}: only its holder enqueues its batches`, { field: "campaign_id" });
  }
  if (row.state !== "active") {
    throw new OpmError("failed_precondition", `campaign ${row.id} is finished (${row.finish_reason}): it takes no more batches`, { field: "campaign_id" });
  }
  const evaluations = row.evaluations + input.jobIds.length;
  if (row.max_evaluations > 0 && evaluations > row.max_evaluations) {
    throw new OpmError("resource_exhausted", `campaign ${row.id}: ${input.jobIds.length} more jobs would make ${evaluations}, over its budget of ${row.max_evaluations} evaluations`, { field: "plans" });
  }
  const sequence = row.batches + 1;
  await ctx.db.insertInto("campaign_batches").values({
    campaign_id: row.id, sequence, job_ids: JSON.stringify(input.jobIds), elapsed_ms: input.elapsedMs, enqueued_by: ctx.actor, created_at_ms: ctx.now,
  }).execute();
  await ctx.db.updateTable("campaigns").set({
    batches: sequence, evaluations, elapsed_ms: Math.max(Number(row.elapsed_ms), input.elapsedMs), updated_at_ms: ctx.now,
  }).where("id", "=", row.id).execute();
  await ctx.audit("campaign.batch", row.id, `batch ${sequence}: ${input.jobIds.length} jobs`);
  return sequence;
}

import { create, fromBinary } from "@bufbuild/protobuf";
import type { Kysely, Selectable } from "kysely";
import { CampaignBatchSchema, CampaignSchema, CampaignState, type Campaign } from "../../gen/openpassmarket/v1/campaign_pb.js";
import { PlanSchema } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import type { Database } from "../storage/index.js";

/** One stored campaign row. */
export type CampaignRow = Selectable<Database["campaigns"]>;

/** The stored text of a campaign's state. */
export type CampaignStateText = "active" | "finished";

/**
 * The campaign `id`, or not_found naming `field`. `forUpdate` locks its row until the
 * transaction ends, so batches are numbered one after another.
 */
export async function loadCampaign(db: Kysely<Database>, id: string, field: string, forUpdate = false): Promise<CampaignRow> {
  let query = db.selectFrom("campaigns").selectAll().where("id", "=", id);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (row === undefined) throw new OpmError("not_found", `field \`${field}\`: unknown campaign ${JSON.stringify(id)}`, { field });
  return row;
}

/** The campaign as its proto, with its batches (each job's plan read from `jobs`) when `withBatches`. */
export async function campaignToProto(db: Kysely<Database>, row: CampaignRow, withBatches: boolean): Promise<Campaign> {
  const campaign = create(CampaignSchema, {
    id: row.id, problemId: row.problem_id, owner: row.owner, holder: row.holder, strategy: row.strategy, seed: Number(row.seed),
    budget: { maxEvaluations: row.max_evaluations, timeLimitMs: BigInt(row.time_limit_ms) }, batchSize: row.batch_size,
    planSetVersion: row.plan_set_version, marketCursor: row.market_cursor, state: row.state === "finished" ? CampaignState.FINISHED : CampaignState.ACTIVE,
    finishReason: row.finish_reason, elapsedMs: BigInt(row.elapsed_ms), evaluations: row.evaluations,
    createdBy: row.created_by, createdAtMs: BigInt(row.created_at_ms), updatedAtMs: BigInt(row.updated_at_ms),
  });
  if (!withBatches) return campaign;
  const batches = await db.selectFrom("campaign_batches").selectAll().where("campaign_id", "=", row.id).orderBy("sequence").execute();
  const jobIds = batches.flatMap((b) => JSON.parse(b.job_ids) as string[]);
  const plans = new Map<string, Uint8Array>();
  for (let i = 0; i < jobIds.length; i += 500) {
    const rows = await db.selectFrom("jobs").select(["id", "plan"]).where("id", "in", jobIds.slice(i, i + 500)).execute();
    for (const r of rows) plans.set(r.id, r.plan);
  }
  campaign.batches = batches.map((b) => {
    const ids = JSON.parse(b.job_ids) as string[];
    return create(CampaignBatchSchema, {
      sequence: b.sequence, jobIds: ids, elapsedMs: BigInt(b.elapsed_ms), enqueuedBy: b.enqueued_by, createdAtMs: BigInt(b.created_at_ms),
      plans: ids.map((id) => {
        const bytes = plans.get(id);
        if (bytes === undefined) throw new OpmError("internal", `campaign ${row.id}: batch ${b.sequence} names job ${id}, which is not stored`);
        return fromBinary(PlanSchema, bytes);
      }),
    });
  });
  return campaign;
}

import { create } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import {
  FinishCampaignResponseSchema, GetCampaignResponseSchema, HandoffCampaignResponseSchema, ListCampaignsResponseSchema,
  ResumeCampaignResponseSchema, StartCampaignResponseSchema,
  type FinishCampaignRequest, type FinishCampaignResponse, type GetCampaignRequest, type GetCampaignResponse,
  type HandoffCampaignRequest, type HandoffCampaignResponse, type ListCampaignsRequest, type ListCampaignsResponse,
  type ResumeCampaignRequest, type ResumeCampaignResponse, type StartCampaignRequest, type StartCampaignResponse,
} from "../../gen/openpassmarket/v1/campaign_service_pb.js";
import { invalidArgument, OpmError } from "../../kernel/errors/index.js";
import { validateActorName } from "../../kernel/pki/index.js";
import { organisationsWithRole, rolesIn } from "../access/index.js";
import { findActor } from "../registry/actor-repository.js";
import { loadProblem, parseMarketCursor } from "../registry/index.js";
import type { CallContext } from "../rpc/index.js";
import { campaignToProto, loadCampaign, type CampaignRow } from "./campaign-repository.js";

/** Why a campaign finishes. */
export const FINISH_REASONS = ["max_evaluations", "time_limit", "strategy_done"] as const;

const MAX_TIME_LIMIT_MS = 30 * 24 * 3600_000;

/**
 * StartCampaign: a search on a problem of an organisation where the caller holds `write`
 * (the access table checks the role), held by the caller. Its budget needs at least one
 * limit, so every campaign ends.
 */
export async function startCampaign(ctx: CallContext, req: StartCampaignRequest): Promise<StartCampaignResponse> {
  const problem = await loadProblem(ctx, req.problemId, "problem_id");
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(req.strategy)) throw invalidArgument("strategy", `${JSON.stringify(req.strategy)} is not a strategy name (lowercase letters, digits and -, at most 64)`);
  if (req.seed > 2 ** 31 - 1) throw invalidArgument("seed", `${req.seed} > ${2 ** 31 - 1}`);
  if (req.batchSize < 1 || req.batchSize > 1000) throw invalidArgument("batch_size", `${req.batchSize} is not in 1..1000`);
  const maxEvaluations = req.budget?.maxEvaluations ?? 0, timeLimitMs = Number(req.budget?.timeLimitMs ?? 0n);
  if (maxEvaluations === 0 && timeLimitMs === 0) throw invalidArgument("budget", "a campaign needs max_evaluations or time_limit_ms (or both)");
  if (maxEvaluations > 1_000_000) throw invalidArgument("budget.max_evaluations", `${maxEvaluations} > 1000000`);
  if (timeLimitMs > MAX_TIME_LIMIT_MS) throw invalidArgument("budget.time_limit_ms", `${timeLimitMs} > ${MAX_TIME_LIMIT_MS} (30 days)`);
  if (!/^[0-9a-f]{0,128}$/.test(req.planSetVersion)) throw invalidArgument("plan_set_version", `${JSON.stringify(req.planSetVersion)} is not a lowercase hex content id`);
  parseMarketCursor(req.marketCursor, "market_cursor");
  const row: CampaignRow = {
    id: randomUUID(), problem_id: req.problemId, owner: problem.participant, holder: ctx.actor, strategy: req.strategy, seed: req.seed,
    max_evaluations: maxEvaluations, time_limit_ms: timeLimitMs, batch_size: req.batchSize, plan_set_version: req.planSetVersion, market_cursor: req.marketCursor,
    state: "active", finish_reason: "", elapsed_ms: 0, evaluations: 0, batches: 0, created_by: ctx.actor, created_at_ms: ctx.now, updated_at_ms: ctx.now,
  };
  await ctx.db.insertInto("campaigns").values(row).execute();
  await ctx.audit("campaign.start", row.id, `problem ${row.problem_id}, strategy ${row.strategy}, seed ${row.seed}, budget ${describeBudget(row)}`);
  return create(StartCampaignResponseSchema, { campaign: await campaignToProto(ctx.db, row, true) });
}

/** GetCampaign: the campaign and its batches (the access table requires `read` in its organisation). */
export async function getCampaign(ctx: CallContext, req: GetCampaignRequest): Promise<GetCampaignResponse> {
  const row = await loadCampaign(ctx.db, req.campaignId, "campaign_id");
  return create(GetCampaignResponseSchema, { campaign: await campaignToProto(ctx.db, row, true) });
}

/** ListCampaigns: the campaigns of the organisations where the caller holds `read`, newest first, without batches. */
export async function listCampaigns(ctx: CallContext, req: ListCampaignsRequest): Promise<ListCampaignsResponse> {
  const caller = await findActor(ctx.db, ctx.actor);
  let orgs = caller === undefined ? [] : await organisationsWithRole(ctx.db, caller, "read");
  if (req.participant !== "") {
    if (!orgs.includes(req.participant)) {
      throw new OpmError("permission_denied", `${ctx.actor}: needs role \`read\` in organisation ${JSON.stringify(req.participant)}`, { field: "participant" });
    }
    orgs = [req.participant];
  }
  if (orgs.length === 0) return create(ListCampaignsResponseSchema, {});
  const limit = Math.min(req.limit === 0 ? 100 : req.limit, 1000);
  let query = ctx.db.selectFrom("campaigns").selectAll().where("owner", "in", orgs);
  if (req.problemId !== "") query = query.where("problem_id", "=", req.problemId);
  const rows = await query.orderBy("created_at_ms", "desc").orderBy("id").limit(limit).execute();
  return create(ListCampaignsResponseSchema, { campaigns: await Promise.all(rows.map((r) => campaignToProto(ctx.db, r, false))) });
}

/**
 * ResumeCampaign: the holder declares it goes on with an active campaign (audited). Anyone
 * else, or a finished campaign, is refused with what to do instead.
 */
export async function resumeCampaign(ctx: CallContext, req: ResumeCampaignRequest): Promise<ResumeCampaignResponse> {
  const row = await loadCampaign(ctx.db, req.campaignId, "campaign_id", true);
  requireActive(row);
  if (row.holder !== ctx.actor) {
    throw new OpmError("permission_denied", `campaign ${row.id} is held by ${row.holder}, not ${ctx.actor}; only its holder resumes it (a \`write\` member of ${row.owner} may take it over: opm campaign handoff ${row.id} --to ${ctx.actor})`, { field: "campaign_id" });
  }
  await ctx.audit("campaign.resume", row.id, `batch ${row.batches}, ${row.evaluations} evaluations enqueued, ${row.elapsed_ms} ms spent`);
  return create(ResumeCampaignResponseSchema, { campaign: await campaignToProto(ctx.db, row, true) });
}

/**
 * HandoffCampaign: moves an active campaign to `to`, who must hold `write` in its
 * organisation (the caller's own `write` is checked by the access table). Audited with both
 * holders; the previous holder's enqueues are refused from then on.
 */
export async function handoffCampaign(ctx: CallContext, req: HandoffCampaignRequest): Promise<HandoffCampaignResponse> {
  const row = await loadCampaign(ctx.db, req.campaignId, "campaign_id", true);
  requireActive(row);
  validateActorName(req.to, "to");
  const to = await findActor(ctx.db, req.to);
  if (to === undefined) throw new OpmError("not_found", `field \`to\`: ${req.to} is not registered`, { field: "to" });
  if (!(await rolesIn(ctx.db, to, row.owner)).has("write")) {
    throw new OpmError("failed_precondition", `field \`to\`: ${req.to} does not hold role \`write\` in organisation ${JSON.stringify(row.owner)}, so it cannot run campaign ${row.id}`, { field: "to" });
  }
  if (row.holder !== req.to) {
    const updated = { ...row, holder: req.to, updated_at_ms: ctx.now };
    await ctx.db.updateTable("campaigns").set({ holder: req.to, updated_at_ms: ctx.now }).where("id", "=", row.id).execute();
    await ctx.audit("campaign.handoff", row.id, `from ${row.holder} to ${req.to}`);
    return create(HandoffCampaignResponseSchema, { campaign: await campaignToProto(ctx.db, updated, true) });
  }
  return create(HandoffCampaignResponseSchema, { campaign: await campaignToProto(ctx.db, row, true) });
}

/** FinishCampaign: the holder records why its campaign ended; finishing a finished campaign returns it unchanged. */
export async function finishCampaign(ctx: CallContext, req: FinishCampaignRequest): Promise<FinishCampaignResponse> {
  const row = await loadCampaign(ctx.db, req.campaignId, "campaign_id", true);
  if (row.state === "finished") return create(FinishCampaignResponseSchema, { campaign: await campaignToProto(ctx.db, row, false) });
  if (!(FINISH_REASONS as readonly string[]).includes(req.reason)) {
    throw invalidArgument("reason", `unknown value ${JSON.stringify(req.reason)}; expected one of ${FINISH_REASONS.join(", ")}`);
  }
  if (row.holder !== ctx.actor) {
    throw new OpmError("permission_denied", `campaign ${row.id} is held by ${row.holder}, not ${ctx.actor}: only its holder finishes it`, { field: "campaign_id" });
  }
  const elapsed = Math.max(Number(row.elapsed_ms), Number(req.elapsedMs));
  const updated: CampaignRow = { ...row, state: "finished", finish_reason: req.reason, elapsed_ms: elapsed, updated_at_ms: ctx.now };
  await ctx.db.updateTable("campaigns").set({ state: "finished", finish_reason: req.reason, elapsed_ms: elapsed, updated_at_ms: ctx.now }).where("id", "=", row.id).execute();
  await ctx.audit("campaign.finish", row.id, `${req.reason} after ${row.evaluations} evaluations, ${elapsed} ms`);
  return create(FinishCampaignResponseSchema, { campaign: await campaignToProto(ctx.db, updated, false) });
}

function requireActive(row: CampaignRow): void {
  if (row.state !== "active") {
    throw new OpmError("failed_precondition", `campaign ${row.id} is finished (${row.finish_reason}) after ${row.evaluations} evaluations: it cannot be resumed or handed off; start a new search`, { field: "campaign_id" });
  }
}

function describeBudget(row: CampaignRow): string {
  const parts = [row.max_evaluations > 0 ? `${row.max_evaluations} evaluations` : "", Number(row.time_limit_ms) > 0 ? `${Number(row.time_limit_ms) / 1000} s` : ""];
  return parts.filter((p) => p !== "").join(" or ");
}

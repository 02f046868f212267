/**
 * Campaigns: searches kept by the registry (strategy, seed, budget, holder and the ordered
 * batches of plans with their jobs), so a search can resume after its process died, be
 * handed off to another `write` member of the organisation and be replayed. The history is
 * recorded by EnqueueJobs calls naming the campaign (`recordCampaignBatch`).
 */
export { campaignImplementation, CAMPAIGN_METHODS } from "./campaign-service.js";
export { campaignToProto, loadCampaign } from "./campaign-repository.js";
export type { CampaignRow, CampaignStateText } from "./campaign-repository.js";
export { FINISH_REASONS, finishCampaign, getCampaign, handoffCampaign, listCampaigns, resumeCampaign, startCampaign } from "./campaigns.js";
export { recordCampaignBatch } from "./record-batch.js";
export type { CampaignBatchInput } from "./record-batch.js";

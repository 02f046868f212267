import type { Campaign } from "../../gen/openpassmarket/v1/campaign_pb.js";
import { planFromProto, planKey, type Plan } from "../../kernel/plan/index.js";
import type { Evaluation, Strategy } from "../orchestrator/strategy.js";
import type { RecordedLog } from "./recorded-log.js";

/** Whether a strategy, re-run offline, made every decision a recorded campaign made. */
export type Reproduction =
  | { reproduced: true; batches: number; decisions: number }
  /** It proposed something else in `batch` (1-based): the first difference. */
  | { reproduced: false; batches: number; decisions: number; batch: number; reason: string };

const key = (p: Plan): string => planKey(p);

/**
 * Re-drives `strategy` (prepared as the campaign's was: same strategy, seed, problem,
 * budget and plan set) through the campaign's recorded batches: at each batch it must
 * propose exactly the recorded plans, in order, given the history the recorded job
 * outcomes make (as `runSearch` builds it: a dead job or a refused signal is a failed
 * evaluation). `decisions` counts the plans that matched. A batch whose jobs the log does
 * not hold ends the check there, unreproduced, saying so.
 */
export function reproduceCampaign(strategy: Strategy, campaign: Campaign, log: RecordedLog): Reproduction {
  const history: Evaluation[] = [];
  const limit = (campaign.budget?.maxEvaluations ?? 0) > 0 ? campaign.budget!.maxEvaluations : Infinity;
  let decisions = 0;
  for (const [i, batch] of campaign.batches.entries()) {
    const recorded = batch.plans.map((p) => planFromProto(p.steps));
    const proposed = strategy.next(history, Math.min(campaign.batchSize, limit - history.length));
    const differs = proposed.findIndex((p, j) => j >= recorded.length || key(p) !== key(recorded[j]!));
    if (differs !== -1 || proposed.length !== recorded.length) {
      const at = differs === -1 ? Math.min(proposed.length, recorded.length) : differs;
      const reason = at < proposed.length && at < recorded.length
        ? `plan ${at + 1} is ${JSON.stringify(key(proposed[at]!))} where the campaign recorded ${JSON.stringify(key(recorded[at]!))}`
        : `${proposed.length} plans where the campaign recorded ${recorded.length}`;
      return { reproduced: false, batches: i, decisions: decisions + at, batch: batch.sequence, reason };
    }
    decisions += recorded.length;
    for (const [j, jobId] of batch.jobIds.entries()) {
      const evaluation = log.evaluationOfJob(jobId);
      if (evaluation === undefined) {
        return { reproduced: false, batches: i + 1, decisions, batch: batch.sequence, reason: `the log does not hold the outcome of job ${jobId} (still running, or its signal did not cross)` };
      }
      // The plan object the strategy proposed, as runSearch records it.
      history.push({ plan: proposed[j]!, value: evaluation.value });
    }
  }
  return { reproduced: true, batches: campaign.batches.length, decisions };
}

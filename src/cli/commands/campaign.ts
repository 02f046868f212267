import { CampaignState, type Campaign } from "../../gen/openpassmarket/v1/campaign_pb.js";
import { CampaignService } from "../../gen/openpassmarket/v1/campaign_service_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import { planKey } from "../../kernel/plan/index.js";
import { parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { CLIENT_FLAGS, withService } from "../connect.js";
import { createOutput } from "../output.js";

const WHO = "  --registry HOST:PORT --identity DIR   the registry, and who asks (or OPM_REGISTRY / OPM_IDENTITY)";
const LIST_USAGE = "opm campaign list [--participant P] [--problem ID] [--json]";
const SHOW_USAGE = "opm campaign show CAMPAIGN [--json]";
const HANDOFF_USAGE = "opm campaign handoff CAMPAIGN --to MEMBER [--json]";

/** `opm campaign list|show|handoff`: the registry's records of searches. */
export const campaignCommand: Command = {
  name: "campaign",
  summary: "list, show and hand off campaigns (searches the registry keeps, so they can resume)",
  usage: `${LIST_USAGE}\n      ${SHOW_USAGE}\n      ${HANDOFF_USAGE}`,
  subcommands: [
    {
      name: "list", summary: "the campaigns of the organisations where you hold `read`, newest first", usage: LIST_USAGE,
      help: [WHO, "  --participant P    only this organisation's", "  --problem ID       only this problem's"].join("\n"),
    },
    {
      name: "show", summary: "one campaign: strategy, seed, budget, holder, state and each batch of plans with its jobs", usage: SHOW_USAGE,
      help: ["Needs role `read` in the campaign's organisation.", "", WHO].join("\n"),
    },
    {
      name: "handoff", summary: "move an active campaign to another member holding `write` (audited as campaign.handoff)", usage: HANDOFF_USAGE,
      help: [
        "Any member holding `write` in the campaign's organisation may hand it to a member holding `write` (themselves",
        "included: taking it over). From then on only the new holder may resume it (opm optimize PROGRAM --resume CAMPAIGN)",
        "and the previous holder's search can enqueue no more of its batches.",
        "",
        WHO, "  --to MEMBER        the actor taking it over",
      ].join("\n"),
    },
  ],
  async run(argv) {
    const args = parseCommandArgs(argv, { ...CLIENT_FLAGS, participant: { type: "string" }, problem: { type: "string" }, to: { type: "string" } });
    const [sub, id] = args.positionals;
    const out = createOutput(args.values.json === true);
    const needId = (): string => {
      if (id === undefined || id === "") throw new OpmError("invalid_argument", `usage: ${sub === "show" ? SHOW_USAGE : HANDOFF_USAGE}`);
      return id;
    };
    switch (sub) {
      case "list": {
        const r = await withService(CampaignService, args, (c) => c.listCampaigns({ participant: stringFlag(args, "participant") ?? "", problemId: stringFlag(args, "problem") ?? "" }));
        out.result({ campaigns: r.campaigns.map((c) => campaignJson(c)) }, () => r.campaigns.length === 0 ? "no campaigns" : r.campaigns.map(describeLine).join("\n"));
        return 0;
      }
      case "show": {
        const campaignId = needId();
        const r = await withService(CampaignService, args, (c) => c.getCampaign({ campaignId }));
        out.result(campaignJson(r.campaign!), () => describe(r.campaign!));
        return 0;
      }
      case "handoff": {
        const campaignId = needId();
        const to = stringFlag(args, "to", true) as string;
        const r = await withService(CampaignService, args, (c) => c.handoffCampaign({ campaignId, to }));
        out.result(campaignJson(r.campaign!), () => `campaign ${campaignId} is now held by ${r.campaign!.holder}: only it may resume it (opm optimize PROGRAM --resume ${campaignId})`);
        return 0;
      }
      default:
        throw new OpmError("invalid_argument", `usage: ${this.usage}`);
    }
  },
};

/** A campaign as `--json` prints it: plans as pipeline text, numbers as numbers. */
function campaignJson(c: Campaign) {
  return {
    id: c.id, problemId: c.problemId, owner: c.owner, holder: c.holder, strategy: c.strategy, seed: c.seed,
    budget: { maxEvaluations: c.budget?.maxEvaluations ?? 0, timeLimitMs: Number(c.budget?.timeLimitMs ?? 0n) },
    batchSize: c.batchSize, planSetVersion: c.planSetVersion, state: stateName(c.state), finishReason: c.finishReason,
    elapsedMs: Number(c.elapsedMs), evaluations: c.evaluations, createdBy: c.createdBy, createdAtMs: Number(c.createdAtMs), updatedAtMs: Number(c.updatedAtMs),
    batches: c.batches.map((b) => ({
      sequence: b.sequence, jobIds: b.jobIds, plans: b.plans.map((p) => planKey({ steps: p.steps.map((s) => ({ pass: s.pass, value: s.value })) })),
      elapsedMs: Number(b.elapsedMs), enqueuedBy: b.enqueuedBy, createdAtMs: Number(b.createdAtMs),
    })),
  };
}

function stateName(s: CampaignState): string {
  return s === CampaignState.FINISHED ? "finished" : s === CampaignState.ACTIVE ? "active" : "unspecified";
}

function budgetText(c: Campaign): string {
  const n = c.budget?.maxEvaluations ?? 0, ms = Number(c.budget?.timeLimitMs ?? 0n);
  return [n > 0 ? `${n} evaluations` : "", ms > 0 ? `${ms / 1000} s` : ""].filter((t) => t !== "").join(" or ");
}

function describeLine(c: Campaign): string {
  const state = c.state === CampaignState.FINISHED ? `finished (${c.finishReason})` : "active";
  return `${c.id}  ${state}  ${c.strategy} seed ${c.seed}  ${c.evaluations} of ${budgetText(c)}  held by ${c.holder}  problem ${c.problemId.slice(0, 12)}…`;
}

function describe(c: Campaign): string {
  return [
    `campaign ${c.id}: ${c.state === CampaignState.FINISHED ? `finished (${c.finishReason})` : "active (its holder may resume it)"}`,
    `  problem ${c.problemId} of ${c.owner}, held by ${c.holder} (started by ${c.createdBy})`,
    `  strategy ${c.strategy}, seed ${c.seed}, budget ${budgetText(c)}, batches of ${c.batchSize}${c.planSetVersion ? `, plan set ${c.planSetVersion}` : ""}`,
    `  ${c.evaluations} evaluations enqueued in ${c.batches.length} batches, ${(Number(c.elapsedMs) / 1000).toFixed(1)} s of search`,
    ...c.batches.map((b) => `  batch ${b.sequence} (${b.enqueuedBy}, at ${(Number(b.elapsedMs) / 1000).toFixed(1)} s):\n${b.plans.map((p, i) => `    ${b.jobIds[i]}  ${planKey({ steps: p.steps.map((s) => ({ pass: s.pass, value: s.value })) })}`).join("\n")}`),
  ].join("\n");
}

import type { Role } from "./roles.js";

/** Where the organisation a role is checked in comes from. */
export type OrganisationOf =
  /** The participant named by the request field (the caller when empty). */
  | { from: "participant"; field: string }
  /** The owner of the problem named by the request field. */
  | { from: "problem"; field: string }
  /** The owner of the problem of the job named by the request field. */
  | { from: "job"; field: string }
  /** `problem.participant` of a SubmitProblem request (the caller when empty). */
  | { from: "submitted-problem" }
  /** The organisation owning the campaign named by the request field. */
  | { from: "campaign"; field: string };

/**
 * Who may call a method:
 * - `anyone` — any holder of a certificate from the node's CA (registration, the public
 *   catalog, the transparency log, and reads that serve only public data and releases);
 * - `registered` — a registered actor;
 * - `operator` — the node's operator (kind `admin`): node administration;
 * - `kind` — an actor of one of these kinds (the handler checks admission and ownership);
 * - `role` — a member holding `role` in the organisation `of` names;
 * - `problem-reader` — anyone for a public problem; for a private one, `read` in its
 *   organisation or one of the organisation's own adapters;
 * - `audit-reader` — the operator (every event), or a holder of `audit` in at least one
 *   organisation (its organisations' events; see `auditScopeOf`);
 * - `peer` — a reader of this node's delta log, as the node's `PeerReaders` decide (the
 *   governance ledger's peer admissions).
 * `filter: "jobs"` drops from the reply the jobs of private problems the caller may not read.
 */
export type AccessRule =
  | { who: "anyone" }
  | { who: "registered" }
  | { who: "operator" }
  | { who: "kind"; kinds: readonly string[] }
  | { who: "role"; role: Role; of: OrganisationOf }
  | { who: "problem-reader"; field: string; filter?: "jobs" }
  | { who: "jobs-reader"; filter: "jobs" }
  | { who: "audit-reader" }
  | { who: "peer" };

const ADAPTER = { who: "kind", kinds: ["adapter"] } as const;

/**
 * THE access table: every RPC of the governed services → who may call it. Applied once,
 * at the RPC boundary (`AccessControl`, called by `unaryHandler` before the method runs);
 * a refusal is PERMISSION_DENIED naming what is missing, and audited (`access.deny`).
 * Every service the node binds is governed: a method without an entry, or a service not in
 * `GOVERNED_SERVICES`, fails the node at start (and `test/privacy-access.test.ts`).
 */
export const ACCESS_TABLE: Readonly<Record<string, AccessRule>> = {
  "RegistryService.RegisterAdapter": { who: "anyone" },
  "RegistryService.RegisterParticipant": { who: "anyone" },
  "RegistryService.AdmitAdapter": { who: "operator" },
  "RegistryService.GetActor": { who: "anyone" },
  "RegistryService.PublishContracts": { who: "kind", kinds: ["adapter", "admin"] },
  "RegistryService.DiscoverPasses": { who: "anyone" },
  "RegistryService.GetContractGraph": { who: "anyone" },
  "RegistryService.SubmitProblem": { who: "role", role: "write", of: { from: "submitted-problem" } },
  "RegistryService.GetProblem": { who: "problem-reader", field: "problemId" },
  "RegistryService.SubmitSignal": ADAPTER,
  "RegistryService.ListSignals": { who: "problem-reader", field: "problemId" },
  "RegistryService.ListAuditEvents": { who: "audit-reader" },
  // Public problems exactly, other participants' private problems as releases only (marketViewOf).
  "RegistryService.ListMarketSignals": { who: "anyone" },
  "RegistryService.ReleaseResult": { who: "role", role: "lead", of: { from: "problem", field: "problemId" } },
  // Releases are made to be served to everyone.
  "RegistryService.ListReleases": { who: "anyone" },
  "RegistryService.GetPrivacyBudget": { who: "role", role: "audit", of: { from: "participant", field: "participant" } },
  "RegistryService.AddMember": { who: "role", role: "lead", of: { from: "participant", field: "participant" } },
  "RegistryService.RemoveMember": { who: "role", role: "lead", of: { from: "participant", field: "participant" } },
  "RegistryService.ListMembers": { who: "role", role: "lead", of: { from: "participant", field: "participant" } },
  // A plan set is built only from what every participant may see (public signals, releases),
  // deterministically, and signed by the node: asking for a build cannot bias it.
  "RegistryService.BuildPlanSet": { who: "kind", kinds: ["participant", "admin"] },
  "RegistryService.GetPlanSet": { who: "anyone" },

  "JobService.EnqueueJobs": { who: "role", role: "write", of: { from: "problem", field: "problemId" } },
  "JobService.ClaimJobs": ADAPTER,
  "JobService.Heartbeat": ADAPTER,
  "JobService.CompleteJob": ADAPTER,
  "JobService.FailJob": ADAPTER,
  "JobService.GetJobs": { who: "jobs-reader", filter: "jobs" },
  // By problem: as GetProblem; by state across problems: only the jobs the caller may read.
  "JobService.ListJobs": { who: "problem-reader", field: "problemId", filter: "jobs" },
  "JobService.ReportDiscrepancy": { who: "role", role: "write", of: { from: "job", field: "jobId" } },
  "JobService.CancelJobs": { who: "role", role: "write", of: { from: "problem", field: "problemId" } },

  "LedgerService.Init": { who: "operator" },
  // The handler admits only keys a genesis or rotation names.
  "LedgerService.RegisterGovernor": { who: "anyone" },
  "LedgerService.Propose": { who: "kind", kinds: ["governor"] },
  "LedgerService.Approve": { who: "kind", kinds: ["governor"] },
  // The transparency log is public.
  "LedgerService.ListEntries": { who: "anyone" },
  "LedgerService.ListProposals": { who: "anyone" },
  "LedgerService.GetCheckpoint": { who: "anyone" },
  "LedgerService.ProveInclusion": { who: "anyone" },
  "LedgerService.ProveConsistency": { who: "anyone" },
  "LedgerService.Export": { who: "anyone" },

  // Campaigns: `write` runs and takes over the organisation's searches (the handler checks
  // the holder and the new holder's role), `read` reads them.
  "CampaignService.StartCampaign": { who: "role", role: "write", of: { from: "problem", field: "problemId" } },
  "CampaignService.GetCampaign": { who: "role", role: "read", of: { from: "campaign", field: "campaignId" } },
  // Only the campaigns of organisations where the caller holds `read` (the handler filters).
  "CampaignService.ListCampaigns": { who: "registered" },
  "CampaignService.ResumeCampaign": { who: "role", role: "write", of: { from: "campaign", field: "campaignId" } },
  "CampaignService.HandoffCampaign": { who: "role", role: "write", of: { from: "campaign", field: "campaignId" } },
  "CampaignService.FinishCampaign": { who: "role", role: "write", of: { from: "campaign", field: "campaignId" } },

  // The delta log carries by construction only what may cross nodes (public problems and
  // signals, private problems' features and digests, releases: `problemSyncView`), and it
  // is made to be replayed by whoever holds it: before a ledger genesis any certificate of
  // this node's CA reads it (peers, participants or auditors exporting it to replay), after
  // one only the operator and the peers the ledger admitted (`src/server/sync/peer-admission.ts`).
  "SyncService.GetDeltaCheckpoint": { who: "peer" },
  "SyncService.GetDeltaBatches": { who: "peer" },
  "SyncService.GetSyncStatus": { who: "peer" },
};

/**
 * The services the table governs: each of their methods must have an entry, and a service
 * bound through `bindMethods` that is not listed here fails the node at start.
 */
export const GOVERNED_SERVICES = [
  "openpassmarket.v1.RegistryService", "openpassmarket.v1.JobService", "openpassmarket.v1.LedgerService", "openpassmarket.v1.SyncService",
  "openpassmarket.v1.CampaignService",
] as const;

/** `RegistryService.GetProblem` for the path `/openpassmarket.v1.RegistryService/GetProblem`. */
export function tableKeyOf(methodPath: string): string {
  const [, service = "", method = ""] = methodPath.split("/");
  return `${service.slice(service.lastIndexOf(".") + 1)}.${method}`;
}

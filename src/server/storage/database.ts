import type { Generated } from "kysely";

/**
 * The Kysely view of every table. Integers that can exceed 2^53 never occur here:
 * times are unix milliseconds and sequences are bigserial read back as numbers.
 * Objects whose canonical form is protobuf are stored as their canonical bytes.
 */
export interface Database {
  actors: ActorsTable;
  contracts: ContractsTable;
  contract_edges: ContractEdgesTable;
  problems: ProblemsTable;
  signals: SignalsTable;
  audit_events: AuditEventsTable;
  request_nonces: RequestNoncesTable;
  idempotency_keys: IdempotencyKeysTable;
  jobs: JobsTable;
  ledger_entries: LedgerEntriesTable;
  ledger_tree_nodes: LedgerTreeNodesTable;
  ledger_checkpoints: LedgerCheckpointsTable;
  ledger_proposals: LedgerProposalsTable;
  ledger_proposal_signatures: LedgerProposalSignaturesTable;
  privacy_budgets: PrivacyBudgetsTable;
  privacy_charges: PrivacyChargesTable;
  privacy_releases: PrivacyReleasesTable;
  delta_batches: DeltaBatchesTable;
  delta_items: DeltaItemsTable;
  sync_peers: SyncPeersTable;
  sync_objects: SyncObjectsTable;
  members: MembersTable;
  campaigns: CampaignsTable;
  campaign_batches: CampaignBatchesTable;
  plan_sets: PlanSetsTable;
}

export interface ActorsTable {
  name: string;
  kind: string;
  public_key: Uint8Array;
  key_id: string;
  status: string;
  /** Canonical bytes of `Capabilities`, empty for non-adapters. */
  capabilities: Uint8Array;
  owner: string;
  certificate_fingerprint: string;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface ContractsTable {
  id: string;
  ref: string;
  kind: string;
  name: string;
  version: string;
  major: number;
  minor: number;
  patch: number;
  /** Canonical bytes of the PassSpec or ContractDecl. */
  body: Uint8Array;
  publisher: string;
  created_at_ms: number;
  /** Set when a newer version of the same name exists. */
  superseded: boolean;
  /** Discovery columns, empty for non-pass contracts. */
  compiler: number;
  level: number;
  pass_name: string;
  compiler_min: string;
  compiler_max: string;
  invariants: string[];
}

export interface ContractEdgesTable {
  from_id: string;
  to_id: string;
  kind: number;
}

export interface ProblemsTable {
  id: string;
  participant: string;
  compiler: number;
  objective: number;
  visibility: number;
  /** Canonical bytes of the LocalProblem (IR included only for public problems). */
  body: Uint8Array;
  created_at_ms: number;
}

export interface SignalsTable {
  id: string;
  problem_id: string;
  adapter: string;
  /** Canonical bytes of the signed PerformanceSignal. */
  body: Uint8Array;
  created_at_ms: number;
  /** `accepted`, `provisional` (under a spot check) or `refused` (lost one). */
  status: Generated<string>;
}

export interface AuditEventsTable {
  sequence: Generated<number>;
  actor: string;
  action: string;
  object: string;
  at_ms: number;
  correlation_id: string;
  request_digest: string;
  detail: string;
}

export interface RequestNoncesTable {
  actor: string;
  nonce: string;
  seen_at_ms: number;
}

export interface IdempotencyKeysTable {
  actor: string;
  key: string;
  method: string;
  request_digest: string;
  /** Serialized response message of the first execution. */
  response: Uint8Array;
  created_at_ms: number;
}

export interface JobsTable {
  id: string;
  problem_id: string;
  /** Canonical bytes of the `Plan`. */
  plan: Uint8Array;
  compiler: number;
  compiler_version: string;
  objective: number;
  ir_digest: string;
  ir_format: string;
  /** Participant whose adapters alone may run it, or "" for public problems. */
  owner: string;
  /** `queued`, `leased`, `succeeded`, `dead`. */
  state: string;
  attempts: number;
  max_attempts: number;
  available_at_ms: number;
  lease_expires_at_ms: number;
  claimed_by: string;
  claim_token: string;
  /** JSON array of JobAttemptError objects (protobuf JSON form). */
  errors: string;
  signal_id: string;
  created_at_ms: number;
  updated_at_ms: number;
  /** The job a spot check or tie-break re-measures, or "" for an ordinary job. */
  check_of: Generated<string>;
  /** Adapters that may not claim it: those whose results it checks. */
  excluded_adapters: Generated<string[]>;
}

/** One appended governance entry. Indices are read back as numbers (exact below 2^53). */
export interface LedgerEntriesTable {
  entry_index: number;
  /** The entry's payload case (`genesis`, `adapterAdmission`, …). */
  kind: string;
  /** Canonical bytes of the SignedLedgerEntry (entry + governor signatures): the Merkle leaf preimage. */
  body: Uint8Array;
  signature_count: number;
  /** SHA-256(0x00 ‖ body). */
  leaf_hash: Uint8Array;
  appended_at_ms: number;
}

/** One perfect-subtree node of the ledger's Merkle tree (leaves are level 0). */
export interface LedgerTreeNodesTable {
  level: number;
  node_index: number;
  hash: Uint8Array;
}

/** One signed checkpoint note, by the tree size it commits to. */
export interface LedgerCheckpointsTable {
  tree_size: number;
  note: string;
  signed_at_ms: number;
}

/** A proposed entry collecting signatures. */
export interface LedgerProposalsTable {
  /** SHA-256 hex of `entry`. */
  id: string;
  entry_index: number;
  kind: string;
  /** Canonical LedgerEntry bytes (what governors sign). */
  entry: Uint8Array;
  proposer: string;
  /** `pending` or `applied` (staleness is computed against the log). */
  state: string;
  applied_index: Generated<number>;
  created_at_ms: number;
  updated_at_ms: number;
}

/** A signature collected for a proposal, one per key. */
export interface LedgerProposalSignaturesTable {
  proposal_id: string;
  public_key: Uint8Array;
  signature: Uint8Array;
  /** The governor actor that submitted it. */
  submitted_by: string;
  submitted_at_ms: number;
}

/**
 * A participant's privacy budget for one problem family. Amounts are `numeric` counts of
 * 10⁻⁹ ε (`pure-dp`) or ρ (`zcdp`), read and written as decimal strings (exact).
 */
export interface PrivacyBudgetsTable {
  participant: string;
  /** `<compiler>/<objective>`. */
  family: string;
  /** `pure-dp` or `zcdp`. */
  accountant: string;
  total: string;
  spent: string;
  created_at_ms: number;
  updated_at_ms: number;
}

/** One charge to a budget, for the release of (subject, quantity). */
export interface PrivacyChargesTable {
  sequence: Generated<number>;
  participant: string;
  family: string;
  accountant: string;
  amount: string;
  /** The budget's spending after this charge, and its total then. */
  spent_after: string;
  total: string;
  subject: string;
  quantity: string;
  actor: string;
  charged_at_ms: number;
}

/** A release: a clamped, noised integer, made once and served as stored. Never the exact value. */
export interface PrivacyReleasesTable {
  /** What the quantity is of (a signal id, a problem id…). */
  subject: string;
  /** Which quantity, with its unit (`improvement_bp`…). */
  quantity: string;
  participant: string;
  family: string;
  /** The released (noised) value, an integer as a decimal string. */
  value: string;
  clamp_min: string;
  clamp_max: string;
  /** `discrete-laplace` or `discrete-gaussian`. */
  mechanism: string;
  /** Its scale t or σ², as `num/den` or an integer. */
  mechanism_parameter: string;
  accountant: string;
  cost: string;
  charge_sequence: number;
  released_by: string;
  released_at_ms: number;
}

/** One role of one member actor in an organisation (migration 0007). */
export interface MembersTable {
  participant: string;
  actor: string;
  role: string;
  added_by: string;
  added_at_ms: number;
}

/** One signed batch of this node's delta log. */
export interface DeltaBatchesTable {
  sequence: number;
  /** SHA-256(0x00 ‖ body): the batch's Merkle leaf. */
  leaf_hash: Uint8Array;
  /** Canonical bytes of the SignedDeltaBatch. */
  body: Uint8Array;
  change_count: number;
  created_at_ms: number;
}

/** The latest value this node's delta log carried for one (kind, key). */
export interface DeltaItemsTable {
  kind: string;
  key: string;
  /** What the batcher compares to the source row (a status, a key id…); "" for immutable objects. */
  version: string;
  /** SHA-256 of the value's canonical bytes. */
  digest: Uint8Array;
  sequence: number;
}

/** An admitted peer node and what this node trusts and applied of its log. */
export interface SyncPeersTable {
  origin: string;
  /** Pinned signed-note verifier key of the peer's delta log. */
  log_key: string;
  address: string;
  admitted_by: string;
  /** Last checkpoint note verified; "" before the first. */
  trusted_note: string;
  applied_size: number;
  /** JSON array of {level, hash (hex)}: the compact range of the applied batches. */
  frontier: string;
  last_leaf_hash: Uint8Array;
  updated_at_ms: number;
}

/** A change applied from a peer's delta log (latest per origin, kind, key). */
export interface SyncObjectsTable {
  origin: string;
  kind: string;
  key: string;
  digest: Uint8Array;
  value: Uint8Array;
  sequence: number;
}

/** A search kept by the registry (migration 0009; see `src/server/campaigns`). */
export interface CampaignsTable {
  id: string;
  problem_id: string;
  /** The organisation (participant) owning the problem. */
  owner: string;
  /** The member running it: the only one who may enqueue its batches or resume it. */
  holder: string;
  strategy: string;
  seed: number;
  /** 0: no limit by count. */
  max_evaluations: number;
  /** 0: no limit by time. */
  time_limit_ms: number;
  batch_size: number;
  /** "" when the strategy used no plan set. */
  plan_set_version: string;
  /** The ListMarketSignals cursor the strategy read the market up to; "" when it read none. */
  market_cursor: Generated<string>;
  /** `active` or `finished`. */
  state: string;
  /** `max_evaluations`, `time_limit`, `strategy_done`; "" while active. */
  finish_reason: string;
  elapsed_ms: number;
  /** Jobs enqueued over every batch. */
  evaluations: number;
  /** Batches recorded (the last `campaign_batches.sequence`). */
  batches: number;
  created_by: string;
  created_at_ms: number;
  updated_at_ms: number;
}

/** One batch of a campaign's history, numbered from 1 in the order the registry accepted it. */
export interface CampaignBatchesTable {
  campaign_id: string;
  sequence: number;
  /** JSON array of the batch's job ids, in the order its strategy proposed the plans. */
  job_ids: string;
  /** The campaign's search time spent when the batch was enqueued. */
  elapsed_ms: number;
  enqueued_by: string;
  created_at_ms: number;
}

/** One plan set in the chain of its compiler version and objective (the signed set is its `contracts` row). */
export interface PlanSetsTable {
  /** The plan set's version: its contract id. */
  id: string;
  compiler: number;
  compiler_version: string;
  objective: number;
  /** 1, 2, … within (compiler, compiler_version, objective). */
  sequence: number;
  /** The version it supersedes; "" for the first. */
  supersedes: string;
  /** The node key that signed it. */
  key_id: string;
  built_by: string;
  built_at_ms: number;
}

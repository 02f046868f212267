import {
  ContractStage,
  PrivacyAccountant,
  type AdapterAdmission,
  type AdapterRevocation,
  type ContractPromotion,
  type PeerAdmission,
  type PeerRevocation,
  type PrivacyPolicyUpdate,
} from "../../gen/openpassmarket/v1/ledger_pb.js";
import { equalBytes } from "../bytes.js";
import { LedgerError } from "../errors.js";

/** The parts of the governance state that payload checks read. */
export interface PayloadContext {
  index: bigint;
  isAdmitted(adapter: string): boolean;
  policyVersion(policyId: string): bigint;
  contractStage(contractId: string): ContractStage | undefined;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$/;
// Decimal string: no sign, optional fraction and exponent; never parsed to a float here.
const DECIMAL_RE = /^(0|[1-9][0-9]*)(\.[0-9]+)?([eE]-?[0-9]+)?$/;

function fail(ctx: PayloadContext, field: string, msg: string): LedgerError {
  return new LedgerError("invalid_transition", `entry ${ctx.index}: field \`${field}\`: ${msg}`, { entryIndex: ctx.index, field });
}

function checkName(ctx: PayloadContext, field: string, value: string): void {
  if (!NAME_RE.test(value)) throw fail(ctx, field, `${JSON.stringify(value)} is not a name ([A-Za-z0-9._:/@-], 1-128 chars)`);
}

/** Admission: a valid name and 32-byte key, a compiler, and not currently admitted. */
export function checkAdmission(ctx: PayloadContext, p: AdapterAdmission): void {
  checkName(ctx, "adapter_admission.adapter", p.adapter);
  if (p.adapterPublicKey.length !== 32) throw fail(ctx, "adapter_admission.adapter_public_key", `${p.adapterPublicKey.length} bytes, want 32`);
  checkName(ctx, "adapter_admission.compiler", p.compiler);
  if (ctx.isAdmitted(p.adapter)) throw fail(ctx, "adapter_admission.adapter", `adapter ${p.adapter} is already admitted`);
}

/** Revocation: the adapter must be admitted now. */
export function checkRevocation(ctx: PayloadContext, p: AdapterRevocation): void {
  if (!ctx.isAdmitted(p.adapter)) throw fail(ctx, "adapter_revocation.adapter", `adapter ${JSON.stringify(p.adapter)} is not admitted`);
}

/** Peer admission: a valid name, a 32-byte key, and neither name nor key admitted already. */
export function checkPeerAdmission(ctx: PayloadContext, p: PeerAdmission, peers: ReadonlyMap<string, { publicKey: Uint8Array }>): void {
  checkName(ctx, "peer_admission.peer", p.peer);
  if (p.publicKey.length !== 32) throw fail(ctx, "peer_admission.public_key", `${p.publicKey.length} bytes, want 32`);
  if (peers.has(p.peer)) throw fail(ctx, "peer_admission.peer", `peer ${p.peer} is already admitted`);
  // One key, one peer: the key is what a pulled log is matched on.
  for (const [name, q] of peers) {
    if (equalBytes(q.publicKey, p.publicKey)) throw fail(ctx, "peer_admission.public_key", `key already admitted as peer ${name}`);
  }
}

/** Peer revocation: the peer must be admitted now. */
export function checkPeerRevocation(ctx: PayloadContext, p: PeerRevocation, peers: ReadonlyMap<string, unknown>): void {
  if (!peers.has(p.peer)) throw fail(ctx, "peer_revocation.peer", `peer ${JSON.stringify(p.peer)} is not admitted`);
}

/**
 * Policy update: id and family names, a known accountant, decimal totals (delta < 1,
 * and delta 0 for pure DP), and version = previous version + 1 (1 for a new policy).
 */
export function checkPolicy(ctx: PayloadContext, p: PrivacyPolicyUpdate): void {
  checkName(ctx, "privacy_policy_update.policy_id", p.policyId);
  if (p.family !== "*") checkName(ctx, "privacy_policy_update.family", p.family);
  if (PrivacyAccountant[p.accountant] === undefined || p.accountant === PrivacyAccountant.UNSPECIFIED) {
    throw fail(ctx, "privacy_policy_update.accountant", `accountant ${p.accountant} is not a known accountant`);
  }
  if (!DECIMAL_RE.test(p.totalEpsilon) || Number(p.totalEpsilon) <= 0) {
    throw fail(ctx, "privacy_policy_update.total_epsilon", `${JSON.stringify(p.totalEpsilon)} is not a positive decimal`);
  }
  if (!DECIMAL_RE.test(p.totalDelta) || Number(p.totalDelta) >= 1) {
    throw fail(ctx, "privacy_policy_update.total_delta", `${JSON.stringify(p.totalDelta)} is not a decimal in [0, 1)`);
  }
  if (p.accountant === PrivacyAccountant.PURE && Number(p.totalDelta) !== 0) {
    throw fail(ctx, "privacy_policy_update.total_delta", `pure DP requires delta 0, got ${p.totalDelta}`);
  }
  if (p.releaseCost !== "" && (!DECIMAL_RE.test(p.releaseCost) || Number(p.releaseCost) <= 0)) {
    throw fail(ctx, "privacy_policy_update.release_cost", `${JSON.stringify(p.releaseCost)} is not a positive decimal`);
  }
  if (p.quantity !== "" && p.quantity !== "improvement-bp") {
    throw fail(ctx, "privacy_policy_update.quantity", `unknown quantity ${JSON.stringify(p.quantity)} (improvement-bp)`);
  }
  if ((p.clampMin !== 0n || p.clampMax !== 0n) && p.clampMin >= p.clampMax) {
    throw fail(ctx, "privacy_policy_update.clamp_max", `clamp range [${p.clampMin}, ${p.clampMax}] is empty or a single point`);
  }
  const want = ctx.policyVersion(p.policyId) + 1n;
  if (p.version !== want) throw fail(ctx, "privacy_policy_update.version", `version ${p.version}, expected ${want}`);
}

/**
 * Promotion: known, distinct stages; when the ledger already knows the contract's stage,
 * `from_stage` must equal it (the registry owns stages before the first promotion).
 */
export function checkPromotion(ctx: PayloadContext, p: ContractPromotion): void {
  checkName(ctx, "contract_promotion.contract_id", p.contractId);
  for (const [field, stage] of [["from_stage", p.fromStage], ["to_stage", p.toStage]] as const) {
    if (ContractStage[stage] === undefined || stage === ContractStage.UNSPECIFIED) {
      throw fail(ctx, `contract_promotion.${field}`, `stage ${stage} is not a known stage`);
    }
  }
  if (p.fromStage === p.toStage) throw fail(ctx, "contract_promotion.to_stage", `to_stage equals from_stage ${ContractStage[p.fromStage]}`);
  const current = ctx.contractStage(p.contractId);
  if (current !== undefined && current !== p.fromStage) {
    throw fail(ctx, "contract_promotion.from_stage", `contract ${p.contractId} is ${ContractStage[current]}, not ${ContractStage[p.fromStage]}`);
  }
}

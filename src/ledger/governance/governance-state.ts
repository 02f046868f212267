import type {
  ContractStage,
  LedgerEntry,
  LedgerSignature,
  PrivacyPolicyUpdate,
  SignedLedgerEntry,
} from "../../gen/openpassmarket/v1/ledger_pb.js";
import { equalBytes, toHex } from "../bytes.js";
import { LedgerError } from "../errors.js";
import { approvalCount, type GovernorSet } from "./approvals.js";
import { decodeEntry, entryLeafHash, entrySigningPayload } from "./entry-codec.js";
import { governorSetFrom } from "./governor-set.js";
import { checkAdmission, checkPeerAdmission, checkPeerRevocation, checkPolicy, checkPromotion, checkRevocation, type PayloadContext } from "./validate-payload.js";

/** An adapter whose admission is in effect. */
export interface AdmittedAdapter {
  name: string;
  publicKey: Uint8Array;
  compiler: string;
  admittedAt: bigint;
}

/** A federation peer whose admission is in effect: its certificate name here and delta-log key. */
export interface AdmittedPeer {
  name: string;
  publicKey: Uint8Array;
  admittedAt: bigint;
}

/** Approvals of one governor set for an entry. */
export interface ApprovalTally {
  set: "current" | "new";
  have: number;
  need: number;
}

/**
 * The governance state after replaying a ledger prefix: governors and threshold,
 * admitted and revoked adapters, privacy policies, contract stages. Only effective
 * entries (threshold met) are ever applied; `apply` validates fully before mutating.
 */
export class GovernanceState {
  origin = "";
  size = 0n;
  lastLeafHash: Uint8Array = new Uint8Array(0);
  governors: GovernorSet = { keys: new Map(), threshold: 0 };
  readonly adapters = new Map<string, AdmittedAdapter>();
  readonly revoked = new Map<string, { revokedAt: bigint; reason: string }>();
  readonly policies = new Map<string, PrivacyPolicyUpdate>();
  /** The index of the entry that set each policy's current version. */
  readonly policyEntries = new Map<string, bigint>();
  readonly contracts = new Map<string, { stage: ContractStage; effectiveAt: bigint }>();
  /** Federation peers (delta-sync) admitted and not since revoked, by name. */
  readonly peers = new Map<string, AdmittedPeer>();
  readonly revokedPeers = new Map<string, { revokedAt: bigint; reason: string }>();

  /** True while `adapter`'s admission is in effect (admitted and not since revoked). */
  isAdmitted(adapter: string): boolean {
    return this.adapters.has(adapter);
  }

  /** The admitted adapter's Ed25519 public key, or undefined when it is not admitted. */
  adapterKey(adapter: string): Uint8Array | undefined {
    return this.adapters.get(adapter)?.publicKey;
  }

  /** The current version of a privacy policy, or undefined. */
  policy(policyId: string): PrivacyPolicyUpdate | undefined {
    return this.policies.get(policyId);
  }

  /** The ledger-recorded stage of a contract, or undefined when never promoted. */
  contractStage(contractId: string): ContractStage | undefined {
    return this.contracts.get(contractId)?.stage;
  }

  /** Current governors (name and raw key hex) and threshold. */
  governorList(): { name: string; publicKeyHex: string }[] {
    return [...this.governors.keys].map(([hex, g]) => ({ name: g.name, publicKeyHex: hex }));
  }

  /** A deep-enough copy to apply entries to without touching this state. */
  clone(): GovernanceState {
    const c = new GovernanceState();
    c.origin = this.origin;
    c.size = this.size;
    c.lastLeafHash = this.lastLeafHash;
    c.governors = this.governors;
    for (const [k, v] of this.adapters) c.adapters.set(k, v);
    for (const [k, v] of this.revoked) c.revoked.set(k, v);
    for (const [k, v] of this.policies) c.policies.set(k, v);
    for (const [k, v] of this.policyEntries) c.policyEntries.set(k, v);
    for (const [k, v] of this.contracts) c.contracts.set(k, v);
    for (const [k, v] of this.peers) c.peers.set(k, v);
    for (const [k, v] of this.revokedPeers) c.revokedPeers.set(k, v);
    return c;
  }

  /**
   * Checks that `entry` can be the next entry: index = size, previous hash = last leaf
   * hash, genesis exactly at index 0, payload valid for this state. Returns the governor
   * sets whose thresholds it needs. Throws bad_chain / invalid_transition / malformed_entry.
   */
  check(entry: LedgerEntry): { set: "current" | "new"; governors: GovernorSet }[] {
    const at = this.size;
    if (entry.index !== at) throw new LedgerError("bad_chain", `entry ${at}: index field is ${entry.index}, expected ${at}`, { entryIndex: at });
    if (!equalBytes(entry.previousEntryHash, this.lastLeafHash)) {
      throw new LedgerError("bad_chain", `entry ${at}: previous_entry_hash ${toHex(entry.previousEntryHash) || "(empty)"}, expected ${toHex(this.lastLeafHash) || "(empty)"}`, { entryIndex: at });
    }
    if (entry.proposer.length === 0) throw new LedgerError("malformed_entry", `entry ${at}: proposer is empty`, { entryIndex: at, field: "proposer" });
    const kind = entry.kind;
    if ((kind.case === "genesis") !== (at === 0n)) {
      throw new LedgerError("invalid_transition", `entry ${at}: ${kind.case ?? "no payload"} ${at === 0n ? "cannot start a ledger (genesis required)" : "after the genesis entry"}`, { entryIndex: at });
    }
    const ctx: PayloadContext = {
      index: at,
      isAdmitted: (a) => this.isAdmitted(a),
      policyVersion: (id) => this.policies.get(id)?.version ?? 0n,
      contractStage: (id) => this.contractStage(id),
    };
    switch (kind.case) {
      case "genesis": {
        if (kind.value.logOrigin.length === 0) throw new LedgerError("invalid_transition", "entry 0: genesis.log_origin is empty", { entryIndex: at });
        return [{ set: "new", governors: governorSetFrom(kind.value.governors, kind.value.threshold, "genesis.governors", at) }];
      }
      case "governorRotation": {
        const next = governorSetFrom(kind.value.newGovernors, kind.value.newThreshold, "governor_rotation.new_governors", at);
        return [{ set: "current", governors: this.governors }, { set: "new", governors: next }];
      }
      case "adapterAdmission": checkAdmission(ctx, kind.value); break;
      case "adapterRevocation": checkRevocation(ctx, kind.value); break;
      case "privacyPolicyUpdate": checkPolicy(ctx, kind.value); break;
      case "contractPromotion": checkPromotion(ctx, kind.value); break;
      case "peerAdmission": checkPeerAdmission(ctx, kind.value, this.peers); break;
      case "peerRevocation": checkPeerRevocation(ctx, kind.value, this.peers); break;
      default: throw new LedgerError("malformed_entry", `entry ${at}: no payload`, { entryIndex: at });
    }
    return [{ set: "current", governors: this.governors }];
  }

  /** Approvals per required governor set for `entryBytes` (decoded as the next entry). */
  approvalStatus(entryBytes: Uint8Array, signatures: readonly LedgerSignature[]): { tallies: ApprovalTally[]; effective: boolean } {
    return this.tally(decodeEntry(entryBytes, this.size), entryBytes, signatures);
  }

  private tally(entry: LedgerEntry, entryBytes: Uint8Array, signatures: readonly LedgerSignature[]): { tallies: ApprovalTally[]; effective: boolean } {
    const sets = this.check(entry);
    const payload = entrySigningPayload(entryBytes);
    const tallies = sets.map(({ set, governors }) => ({
      set,
      have: approvalCount(entryBytes, signatures, governors, payload),
      need: governors.threshold,
    }));
    return { tallies, effective: tallies.every((t) => t.have >= t.need) };
  }

  /**
   * Validates `signed` as the next entry (chain, payload, and the threshold of every
   * required governor set) and applies it. Returns its leaf hash. Throws, naming the
   * entry index, and leaves the state unchanged when anything is wrong.
   */
  apply(signed: SignedLedgerEntry, leafHash: Uint8Array = entryLeafHash(signed)): Uint8Array {
    const at = this.size;
    const entry = decodeEntry(signed.entry, at);
    let status;
    try {
      status = this.tally(entry, signed.entry, signed.signatures);
    } catch (err) {
      if (err instanceof LedgerError && err.entryIndex === undefined) {
        throw new LedgerError(err.reason, `entry ${at}: ${err.message}`, { entryIndex: at, cause: err });
      }
      throw err;
    }
    if (!status.effective) {
      const t = status.tallies.map((x) => `${x.have} of ${x.need} ${x.set} governors`).join(", ");
      throw new LedgerError("threshold_not_met", `entry ${at}: approvals below threshold: ${t}`, { entryIndex: at });
    }
    this.mutate(entry, at);
    this.size = at + 1n;
    this.lastLeafHash = leafHash;
    return leafHash;
  }

  private mutate(entry: LedgerEntry, at: bigint): void {
    const kind = entry.kind;
    switch (kind.case) {
      case "genesis":
        this.origin = kind.value.logOrigin;
        this.governors = governorSetFrom(kind.value.governors, kind.value.threshold, "genesis.governors", at);
        break;
      case "governorRotation":
        this.governors = governorSetFrom(kind.value.newGovernors, kind.value.newThreshold, "governor_rotation.new_governors", at);
        break;
      case "adapterAdmission": {
        const p = kind.value;
        this.adapters.set(p.adapter, { name: p.adapter, publicKey: p.adapterPublicKey, compiler: p.compiler, admittedAt: at });
        this.revoked.delete(p.adapter);
        break;
      }
      case "adapterRevocation":
        this.adapters.delete(kind.value.adapter);
        this.revoked.set(kind.value.adapter, { revokedAt: at, reason: kind.value.reason });
        break;
      case "privacyPolicyUpdate":
        this.policies.set(kind.value.policyId, kind.value);
        this.policyEntries.set(kind.value.policyId, at);
        break;
      case "contractPromotion":
        this.contracts.set(kind.value.contractId, { stage: kind.value.toStage, effectiveAt: at });
        break;
      case "peerAdmission":
        this.peers.set(kind.value.peer, { name: kind.value.peer, publicKey: kind.value.publicKey, admittedAt: at });
        this.revokedPeers.delete(kind.value.peer);
        break;
      case "peerRevocation":
        this.peers.delete(kind.value.peer);
        this.revokedPeers.set(kind.value.peer, { revokedAt: at, reason: kind.value.reason });
        break;
      default:
        break;
    }
  }
}

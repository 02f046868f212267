import { verifyBytes, publicKeyFromRaw } from "../../kernel/codec/index.js";
import type { LedgerEntry, LedgerSignature, SignedLedgerEntry } from "../../gen/openpassmarket/v1/ledger_pb.js";
import { toHex } from "../bytes.js";
import { LedgerError } from "../errors.js";
import { decodeEntry, encodeEntry, entrySigningPayload, makeSignedEntry } from "./entry-codec.js";
import type { ApprovalTally, GovernanceState } from "./governance-state.js";

/** What a proposal changes, as the `kind` oneof of a LedgerEntry. */
export type EntryKind = LedgerEntry["kind"];

/**
 * A proposed entry collecting governor signatures. It is pending (not in effect)
 * until every required governor set meets its threshold; then `toSignedEntry()` gives
 * what the log appends. A proposal names the entry it follows (index and previous
 * hash), so it goes stale (bad_chain on append) if another entry lands first.
 */
export class Proposal {
  readonly entry: LedgerEntry;
  private readonly signatures: LedgerSignature[] = [];

  constructor(readonly entryBytes: Uint8Array) {
    this.entry = decodeEntry(entryBytes);
  }

  /** A proposal for the next entry of `state`. */
  static create(state: GovernanceState, proposer: string, proposedAtUnixMs: bigint, kind: EntryKind): Proposal {
    return new Proposal(
      encodeEntry({ index: state.size, previousEntryHash: state.lastLeafHash, proposer, proposedAtUnixMs, kind }),
    );
  }

  /**
   * Adds a signature after checking it verifies for its key (bad_signature otherwise).
   * A second signature by the same key replaces nothing and counts once.
   */
  addSignature(sig: LedgerSignature): void {
    if (sig.publicKey.length !== 32 || !verifyBytes(publicKeyFromRaw(sig.publicKey), entrySigningPayload(this.entryBytes), sig.signature)) {
      throw new LedgerError("bad_signature", `signature by key ${toHex(sig.publicKey).slice(0, 16)}… does not verify over proposal ${this.entry.index}`);
    }
    if (!this.signatures.some((s) => toHex(s.publicKey) === toHex(sig.publicKey))) this.signatures.push(sig);
  }

  /** Approvals per required governor set, and whether the entry would take effect now. */
  status(state: GovernanceState): { tallies: ApprovalTally[]; effective: boolean } {
    return state.approvalStatus(this.entryBytes, this.signatures);
  }

  /** The entry with its signatures, sorted and deduplicated, ready for `Ledger.append`. */
  toSignedEntry(): SignedLedgerEntry {
    return makeSignedEntry(this.entryBytes, this.signatures);
  }
}

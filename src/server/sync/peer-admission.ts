import type { Kysely } from "kysely";
import { DeltaError, parseVerifierKey, type GovernanceState } from "../../ledger/index.js";
import type { PeerReaders } from "../access/index.js";
import type { Database } from "../storage/index.js";

/**
 * Who a node federates with. Two questions, asked at the two ends of the sync link:
 * may this caller read my delta log, and may I apply the log signed by this key.
 */
export interface PeerAuthority extends PeerReaders {
  /**
   * Why `caller` (its certificate name) may not read this node's delta log, or undefined
   * when it may: the access table's `peer` rule asks this (the operator always may).
   */
  refusal(db: Kysely<Database>, caller: string): Promise<string | undefined>;
  /** Throws DeltaError peer_not_admitted unless the delta log signed by `logKey` may be applied here. */
  requireSource(db: Kysely<Database>, logKey: string): Promise<void>;
}

/** `auto`: the operator decides until a ledger genesis is in effect, the ledger after; `ledger`: the ledger always. */
export type PeerAdmissionMode = "auto" | "ledger";

/**
 * Peer admission by the governance ledger, as adapters are admitted: once a genesis is in
 * effect (or always, in `ledger` mode) a node serves its delta log only to the operator
 * and to callers named by a `peer_admission` entry in effect, and applies a peer's log
 * only when an entry in effect admitted its key. Before a genesis in `auto` mode the
 * operator decides: pinning a key with `--peer` admits it, and any certificate of this
 * node's CA may read (the log carries only what may cross nodes). Decided per call from
 * the committed ledger, so a revocation takes effect at the next page.
 */
export class LedgerPeerAdmission implements PeerAuthority {
  constructor(
    private readonly governance: (db: Kysely<Database>) => Promise<GovernanceState>,
    private readonly operator: string,
    private readonly mode: PeerAdmissionMode = "auto",
  ) {}

  /** The committed ledger state when it decides, undefined when the operator does. */
  private async ledger(db: Kysely<Database>): Promise<GovernanceState | undefined> {
    const state = await this.governance(db);
    return this.mode === "ledger" || state.size > 0n ? state : undefined;
  }

  async refusal(db: Kysely<Database>, caller: string): Promise<string | undefined> {
    const state = await this.ledger(db);
    if (state === undefined || caller === this.operator || state.peers.has(caller)) return undefined;
    const revoked = state.revokedPeers.get(caller);
    return revoked === undefined
      ? `${caller} is not a peer admitted by the governance ledger: propose a peer_admission entry for it (\`opm ledger propose admit-peer ${caller} --peer-key VKEY\`)`
      : `peer ${caller} was revoked by ledger entry ${revoked.revokedAt}${revoked.reason === "" ? "" : ` (${revoked.reason})`}`;
  }

  async requireSource(db: Kysely<Database>, logKey: string): Promise<void> {
    const state = await this.ledger(db);
    if (state === undefined) return;
    const key = parseVerifierKey(logKey);
    for (const p of state.peers.values()) if (Buffer.from(p.publicKey).equals(Buffer.from(key.publicKey))) return;
    const revoked = [...state.revokedPeers.keys()].join(", ");
    throw new DeltaError("peer_not_admitted",
      `the delta log of ${key.name} is signed by a key no peer_admission entry in effect admits${revoked === "" ? "" : ` (revoked peers: ${revoked})`}: nothing of it is applied`);
  }
}

/** Everyone reads, every pinned key applies: for nodes with no ledger wired (tests, tools). */
export const OPERATOR_PEERS: PeerAuthority = { refusal: async () => undefined, requireSource: async () => undefined };

import { create } from "@bufbuild/protobuf";
import { AdapterRevocationSchema } from "../../gen/openpassmarket/v1/ledger_pb.js";
import type { RevocationProposer } from "../registry/index.js";
import type { CallContext } from "../rpc/index.js";
import { lockLedger } from "./db-helpers.js";
import { storeProposal } from "./proposals.js";
import type { RegistryLedger } from "./registry-ledger.js";

/**
 * The node's own revocation proposals, for adapters its spot checks quarantined. The
 * proposer is the log's origin (`openpassmarket/registry/…`): it names this node, is
 * bound to its log key, and cannot collide with an actor name (those have no `/`). The
 * proposal is an ordinary pending one: it takes effect only once k governors approve it,
 * and goes stale like any other when another entry lands first (governors then propose
 * the revocation themselves; the quarantine holds meanwhile).
 */
export class LedgerRevocations implements RevocationProposer {
  constructor(private readonly ledger: RegistryLedger) {}

  async proposeRevocation(ctx: CallContext, adapter: string, reason: string): Promise<{ proposalId: string } | { skipped: string }> {
    await lockLedger(ctx.db);
    const state = await this.ledger.state(ctx.db);
    if (state.size === 0n) return { skipped: "the ledger has no genesis" };
    // A revocation entry must name an adapter the ledger admitted; one the operator admitted before the genesis has none to revoke.
    if (!state.isAdmitted(adapter)) return { skipped: `the ledger never admitted ${adapter}` };
    const revocation = create(AdapterRevocationSchema, { adapter, reason: reason.slice(0, 1000) });
    const proposal = await storeProposal(ctx, state, { case: "adapterRevocation", value: revocation }, this.ledger.origin);
    return { proposalId: proposal.id };
  }
}

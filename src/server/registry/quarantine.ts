import { OpmError } from "../../kernel/errors/index.js";
import { ActorStatus, type Actor } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import type { CallContext } from "../rpc/index.js";
import { findActor, setActorStatus } from "./actor-repository.js";
import type { ActorKeys } from "./actor-keys.js";
import { refuseUncorroborated } from "./signal-status.js";

/**
 * Turns the registry's evidence against an adapter into a governance proposal. The
 * registry never revokes on its own: the node's ledger (`LedgerRevocations` in
 * `registry-ledger/`) proposes the revocation, and governors approve it k-of-n like any other.
 */
export interface RevocationProposer {
  /**
   * Proposes revoking `adapter` for `reason`, in the call's transaction. Returns the
   * proposal id, or why no proposal could be made (no ledger genesis yet; the ledger
   * never admitted `adapter`).
   */
  proposeRevocation(ctx: CallContext, adapter: string, reason: string): Promise<{ proposalId: string } | { skipped: string }>;
}

/** What a quarantine needs from the node. */
export interface QuarantineDeps {
  keys: ActorKeys;
  /** Absent where the node has no ledger: the quarantine then stands on its own. */
  revocations?: RevocationProposer;
}

/**
 * Quarantines `adapter`: its status becomes QUARANTINED, so every admission check
 * refuses it from its next call on; its signals no other adapter corroborated are
 * REFUSED (`refuseUncorroborated`); an `adapter.quarantine` audit event records
 * `evidence`; and where a ledger can, a revocation proposal for `reason` awaits the
 * governors. Returns false and changes nothing when the adapter is already quarantined or
 * revoked (a second piece of evidence does not make a second proposal).
 */
export async function quarantineAdapter(ctx: CallContext, deps: QuarantineDeps, adapter: string, evidence: string, reason: string): Promise<boolean> {
  const actor = await findActor(ctx.db, adapter);
  if (actor === undefined || actor.kind !== "adapter") throw new OpmError("internal", `cannot quarantine ${adapter}: not a registered adapter`);
  if (actor.status === ActorStatus.QUARANTINED || actor.status === ActorStatus.REVOKED) return false;
  await setActorStatus(ctx.db, adapter, ActorStatus.QUARANTINED, ctx.now);
  const refused = await refuseUncorroborated(ctx.db, adapter);
  deps.keys.forget(adapter);
  ctx.afterCommit(() => deps.keys.forget(adapter));
  const proposal = deps.revocations === undefined ? { skipped: "this node has no ledger" } : await deps.revocations.proposeRevocation(ctx, adapter, reason);
  const outcome = "proposalId" in proposal ? `revocation proposed: ledger proposal ${proposal.proposalId}` : `no revocation proposal: ${proposal.skipped}`;
  await ctx.audit("adapter.quarantine", adapter, `${evidence}; ${refused} uncorroborated signal(s) of ${adapter} refused; ${outcome}`);
  return true;
}

/** Throws permission_denied naming the quarantine when `adapter` is quarantined. */
export function refuseQuarantined(adapter: Actor): void {
  if (adapter.status === ActorStatus.QUARANTINED) {
    throw new OpmError("permission_denied",
      `adapter ${adapter.name} is quarantined: a spot check found it reporting a result other adapters did not reproduce (audit event adapter.quarantine); governors decide its revocation`);
  }
}

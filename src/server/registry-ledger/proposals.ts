import { create } from "@bufbuild/protobuf";
import { contentId } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { GenesisSchema, type LedgerEntry } from "../../gen/openpassmarket/v1/ledger_pb.js";
import type { InitRequest, Proposal as ProposalMessage, ProposeRequest } from "../../gen/openpassmarket/v1/ledger_service_pb.js";
import { ActorStatus } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { Proposal, type GovernanceState } from "../../ledger/index.js";
import { findActor, setActorStatus } from "../registry/actor-repository.js";
import type { ActorKeys } from "../registry/index.js";
import type { CallContext } from "../rpc/index.js";
import { lockLedger, toHexKey } from "./db-helpers.js";
import { addProposalSignature, findProposal, markProposalApplied, proposalSignatures, saveProposal } from "./proposal-repository.js";
import { proposalToProto } from "./proposal-status.js";
import type { RegistryLedger } from "./registry-ledger.js";
import type { ApproveRequest } from "../../gen/openpassmarket/v1/ledger_service_pb.js";

async function requireKind(ctx: CallContext, kind: "admin" | "governor") {
  const actor = await findActor(ctx.db, ctx.actor);
  if (actor === undefined) throw new OpmError("unauthenticated", `actor ${ctx.actor} is not registered`);
  if (actor.kind !== kind) throw new OpmError("permission_denied", `${ctx.actor} is a ${actor.kind}; only a ${kind} may do this`);
  return actor;
}

/**
 * Stores a proposal for the next entry after `state`, by `proposer` (the caller, or the
 * node itself for the revocations it proposes). Requires the ledger lock.
 */
export async function storeProposal(ctx: CallContext, state: GovernanceState, kind: LedgerEntry["kind"], proposer = ctx.actor): Promise<ProposalMessage> {
  const proposal = Proposal.create(state, proposer, BigInt(ctx.now), kind);
  // Validates chain and payload now (invalid_transition names the field), not at the last signature.
  state.check(proposal.entry);
  const row = await saveProposal(ctx.db, {
    id: contentId(proposal.entryBytes), entry_index: Number(state.size), kind: kind.case ?? "", entry: proposal.entryBytes,
    proposer, state: "pending", created_at_ms: ctx.now, updated_at_ms: ctx.now,
  });
  await ctx.audit("ledger.propose", row.id, `${row.kind} at index ${row.entry_index}${proposer === ctx.actor ? "" : ` proposed by ${proposer}`}`);
  return proposalToProto(ctx.db, row, state);
}

/** Proposes the genesis entry naming `req.governors` and k = `req.threshold`. Operator only; only while the log is empty. */
export async function initLedger(ctx: CallContext, ledger: RegistryLedger, req: InitRequest): Promise<ProposalMessage> {
  await requireKind(ctx, "admin");
  await lockLedger(ctx.db);
  const state = await ledger.state(ctx.db);
  if (state.size > 0n) throw new OpmError("failed_precondition", `the ledger is already initialised (${state.size} entries)`);
  return storeProposal(ctx, state, { case: "genesis", value: create(GenesisSchema, { governors: req.governors, threshold: req.threshold, logOrigin: ledger.origin }) });
}

/** A current governor proposes the next entry. */
export async function proposeEntry(ctx: CallContext, ledger: RegistryLedger, req: ProposeRequest): Promise<ProposalMessage> {
  const caller = await requireKind(ctx, "governor");
  await lockLedger(ctx.db);
  const state = await ledger.state(ctx.db);
  if (state.size === 0n) throw new OpmError("failed_precondition", "the ledger has no genesis yet (`opm ledger init`)");
  if (!state.governors.keys.has(toHexKey(caller.publicKey))) {
    throw new OpmError("permission_denied", `${ctx.actor} is not a current governor`);
  }
  if (req.kind.case === undefined) throw new OpmError("invalid_argument", "field `kind`: one payload is required", { field: "kind" });
  return storeProposal(ctx, state, req.kind as LedgerEntry["kind"]);
}

/**
 * Adds one signature to a pending proposal. The signature may be by any key (a governor
 * may relay an offline signature); only distinct keys of the required governor sets
 * count, and an invalid signature is refused. When every threshold is met, the entry is
 * appended and a checkpoint signed in this same transaction; admissions and revocations
 * are mirrored into the actor's status.
 */
export async function approveProposal(ctx: CallContext, ledger: RegistryLedger, keys: ActorKeys, req: ApproveRequest): Promise<ProposalMessage> {
  await requireKind(ctx, "governor");
  const sig = req.signature;
  if (sig === undefined) throw new OpmError("invalid_argument", "field `signature`: is required", { field: "signature" });
  await lockLedger(ctx.db);
  const row = await findProposal(ctx.db, req.proposalId);
  if (row === undefined) throw new OpmError("not_found", `proposal ${req.proposalId} does not exist`, { field: "proposal_id" });
  const state = await ledger.state(ctx.db);
  if (row.state === "applied") return proposalToProto(ctx.db, row, state);
  if (BigInt(row.entry_index) !== state.size) {
    throw new OpmError("failed_precondition", `proposal ${row.id} is stale: it was for entry ${row.entry_index} but the log has ${state.size} entries; re-propose`);
  }
  const proposal = new Proposal(Uint8Array.from(row.entry));
  const signatures = await proposalSignatures(ctx.db, row.id);
  for (const s of signatures) proposal.addSignature(s);
  proposal.addSignature(sig);
  await addProposalSignature(ctx.db, row.id, sig, ctx.actor, ctx.now);
  await ctx.audit("ledger.approve", row.id, `key ${toHexKey(sig.publicKey).slice(0, 16)}`);
  const all = await proposalSignatures(ctx.db, row.id);
  if (!proposal.status(state).effective) return proposalToProto(ctx.db, row, state, { signatures: all });

  const appended = await ledger.append(ctx, proposal.toSignedEntry());
  await markProposalApplied(ctx.db, row.id, appended.index, ctx.now);
  await mirrorActorStatus(ctx, keys, proposal.entry);
  await ctx.audit("ledger.append", `entry ${appended.index}`, `${row.kind} ${row.id}`);
  return proposalToProto(ctx.db, { ...row, state: "applied", applied_index: Number(appended.index) }, appended.state, { signatures: all, checkpoint: appended.checkpoint });
}

/** Keeps `Actor.status` in step with the ledger so `GetActor` (and adapters waiting on it) see admissions and revocations. */
async function mirrorActorStatus(ctx: CallContext, keys: ActorKeys, entry: LedgerEntry): Promise<void> {
  const kind = entry.kind;
  if (kind.case !== "adapterAdmission" && kind.case !== "adapterRevocation") return;
  const actor = await findActor(ctx.db, kind.value.adapter);
  if (actor === undefined || actor.kind !== "adapter") return;
  if (kind.case === "adapterRevocation") {
    await setActorStatus(ctx.db, actor.name, ActorStatus.REVOKED, ctx.now);
  } else if (Buffer.from(actor.publicKey).equals(Buffer.from(kind.value.adapterPublicKey))) {
    await setActorStatus(ctx.db, actor.name, ActorStatus.ADMITTED, ctx.now);
  } else {
    return;
  }
  // Admission checks read the status from the cached actor: drop the stale one.
  keys.forget(actor.name);
  ctx.afterCommit(() => keys.forget(actor.name));
}

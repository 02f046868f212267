import { create } from "@bufbuild/protobuf";
import type { Kysely } from "kysely";
import type { GovernanceState } from "../../ledger/index.js";
import type { LedgerSignature } from "../../gen/openpassmarket/v1/ledger_pb.js";
import { ProposalSchema, ProposalState, type Proposal } from "../../gen/openpassmarket/v1/ledger_service_pb.js";
import type { Database } from "../storage/index.js";
import { proposalSignatures, type ProposalRow } from "./proposal-repository.js";

/**
 * The wire form of a stored proposal against the current state: applied, stale (the
 * log moved past its index) or pending with its approval tallies.
 */
export async function proposalToProto(db: Kysely<Database>, row: ProposalRow, state: GovernanceState, extra: { signatures?: LedgerSignature[]; checkpoint?: string } = {}): Promise<Proposal> {
  const signatures = extra.signatures ?? await proposalSignatures(db, row.id);
  const index = BigInt(row.entry_index);
  const proposal = create(ProposalSchema, {
    id: row.id, entry: Uint8Array.from(row.entry), entryIndex: index, kind: row.kind, proposer: row.proposer, signatures,
    checkpoint: extra.checkpoint ?? "",
  });
  if (row.state === "applied") {
    proposal.state = ProposalState.APPLIED;
    proposal.appliedIndex = BigInt(row.applied_index);
  } else if (index !== state.size) {
    proposal.state = ProposalState.STALE;
  } else {
    proposal.state = ProposalState.PENDING;
    const { tallies } = state.approvalStatus(Uint8Array.from(row.entry), signatures);
    proposal.tallies = tallies.map((t) => ({ $typeName: "openpassmarket.v1.ApprovalTally", governorSet: t.set, have: t.have, need: t.need }));
  }
  return proposal;
}

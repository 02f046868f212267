import { create } from "@bufbuild/protobuf";
import type { Kysely, Selectable } from "kysely";
import { LedgerSignatureSchema, type LedgerSignature } from "../../gen/openpassmarket/v1/ledger_pb.js";
import type { Database, LedgerProposalsTable } from "../storage/index.js";

/** A stored proposal row. */
export type ProposalRow = Selectable<LedgerProposalsTable>;

/** Inserts a proposal unless one with its id exists; returns the stored row. */
export async function saveProposal(db: Kysely<Database>, row: Omit<ProposalRow, "applied_index">): Promise<ProposalRow> {
  await db.insertInto("ledger_proposals").values(row).onConflict((oc) => oc.column("id").doNothing()).execute();
  return (await findProposal(db, row.id))!;
}

/** One proposal by id. */
export async function findProposal(db: Kysely<Database>, id: string): Promise<ProposalRow | undefined> {
  return db.selectFrom("ledger_proposals").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Proposals, newest first; `pendingAt` keeps only pending ones for that entry index. */
export async function listProposalRows(db: Kysely<Database>, filter: { id?: string; pendingAt?: bigint; limit?: number } = {}): Promise<ProposalRow[]> {
  let q = db.selectFrom("ledger_proposals").selectAll();
  if (filter.id !== undefined) q = q.where("id", "=", filter.id);
  if (filter.pendingAt !== undefined) q = q.where("state", "=", "pending").where("entry_index", "=", Number(filter.pendingAt));
  return q.orderBy("created_at_ms", "desc").orderBy("id").limit(filter.limit ?? 1000).execute();
}

/** Signatures collected for `proposalId`, in arrival order. */
export async function proposalSignatures(db: Kysely<Database>, proposalId: string): Promise<LedgerSignature[]> {
  const rows = await db.selectFrom("ledger_proposal_signatures").select(["public_key", "signature"])
    .where("proposal_id", "=", proposalId).orderBy("submitted_at_ms").orderBy("public_key").execute();
  return rows.map((r) => create(LedgerSignatureSchema, { publicKey: Uint8Array.from(r.public_key), signature: Uint8Array.from(r.signature) }));
}

/** Stores a signature; a second one by the same key is ignored (a key counts once). */
export async function addProposalSignature(db: Kysely<Database>, proposalId: string, sig: LedgerSignature, by: string, now: number): Promise<void> {
  await db.insertInto("ledger_proposal_signatures")
    .values({ proposal_id: proposalId, public_key: sig.publicKey, signature: sig.signature, submitted_by: by, submitted_at_ms: now })
    .onConflict((oc) => oc.columns(["proposal_id", "public_key"]).doNothing()).execute();
}

/** Marks a proposal applied as entry `index`. */
export async function markProposalApplied(db: Kysely<Database>, id: string, index: bigint, now: number): Promise<void> {
  await db.updateTable("ledger_proposals").set({ state: "applied", applied_index: Number(index), updated_at_ms: now }).where("id", "=", id).execute();
}

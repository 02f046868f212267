import type { Kysely } from "kysely";
import { stateRoot, type StateLeaf } from "../../ledger/index.js";

const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
import type { Database } from "../storage/index.js";

/** This node's own state as its delta log describes it: what `opm replay` of its export rebuilds. */
async function ownLeaves(db: Kysely<Database>): Promise<StateLeaf[]> {
  const rows = await db.selectFrom("delta_items").select(["kind", "key", "digest"]).where("sequence", ">=", 0).execute();
  return rows.map((r) => ({ kind: r.kind, key: r.key, digest: Uint8Array.from(r.digest) }));
}

/**
 * The node's state roots (hex): `own` over its own delta log's latest values (equal to
 * `opm replay` of its export), `federated` over those and every change applied from
 * peers — a set, so two nodes that synced both ways have the same federated root.
 */
export async function stateRoots(db: Kysely<Database>): Promise<{ own: string; federated: string; deltas: number }> {
  const own = await ownLeaves(db);
  const peers = await db.selectFrom("sync_objects").select(["kind", "key", "digest"]).execute();
  const federated = [...own, ...peers.map((r) => ({ kind: r.kind, key: r.key, digest: Uint8Array.from(r.digest) }))];
  return { own: toHex(stateRoot(own)), federated: toHex(stateRoot(federated)), deltas: own.length };
}

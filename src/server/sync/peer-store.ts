import type { Kysely } from "kysely";
import { sha256 } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { Ed25519NoteVerifier, newDeltaTrust, type DeltaTrust, type FrontierNode, type OpenedBatch } from "../../ledger/index.js";
import type { Database } from "../storage/index.js";

/** Where a puller keeps one peer's trust state and applies its verified batches. */
export interface PeerStore {
  /** The trust state (a fresh one, pinned to the peer's key, before the first pull). */
  load(): Promise<DeltaTrust>;
  /**
   * Applies `opened` (verified, consecutive from `before.appliedSize`) and persists `after`
   * atomically; refuses (and applies nothing) when the stored state is no longer `before`.
   */
  apply(before: DeltaTrust, opened: readonly OpenedBatch[], after: DeltaTrust): Promise<void>;
}

/** `frontier` as stored: JSON of {level, hash hex}. */
export function frontierToJson(frontier: readonly FrontierNode[]): string {
  return JSON.stringify(frontier.map((f) => ({ level: f.level, hash: Buffer.from(f.hash).toString("hex") })));
}

export function frontierFromJson(text: string): FrontierNode[] {
  return (JSON.parse(text) as Array<{ level: number; hash: string }>).map((f) => ({ level: f.level, hash: Uint8Array.from(Buffer.from(f.hash, "hex")) }));
}

/**
 * A peer's trust state and applied changes in this node's database (`sync_peers`,
 * `sync_objects`). Each page of batches and the trust state that covers it commit in one
 * transaction, guarded by the applied size it started from: a batch is applied once, and
 * a pull killed at any point resumes from the last committed page.
 */
export class PgPeerStore implements PeerStore {
  readonly origin: string;

  constructor(private readonly db: Kysely<Database>, private readonly logKey: string, private readonly address: string, private readonly admittedBy = "operator") {
    this.origin = Ed25519NoteVerifier.fromVerifierKey(logKey).name;
  }

  async load(): Promise<DeltaTrust> {
    const row = await this.db.selectFrom("sync_peers").selectAll().where("origin", "=", this.origin).executeTakeFirst();
    if (row === undefined) {
      const fresh = newDeltaTrust(this.logKey);
      await this.db.insertInto("sync_peers").values({
        origin: this.origin, log_key: this.logKey, address: this.address, admitted_by: this.admittedBy, trusted_note: "",
        applied_size: 0, frontier: "[]", last_leaf_hash: fresh.lastLeafHash, updated_at_ms: Date.now(),
      }).onConflict((oc) => oc.column("origin").doNothing()).execute();
      return this.load();
    }
    if (row.log_key !== this.logKey) throw new OpmError("failed_precondition", `peer ${this.origin} is pinned to key ${row.log_key}, not ${this.logKey}`);
    return {
      logKey: row.log_key, ...(row.trusted_note === "" ? {} : { trustedNote: row.trusted_note }), appliedSize: BigInt(row.applied_size),
      frontier: frontierFromJson(row.frontier), lastLeafHash: Uint8Array.from(row.last_leaf_hash),
    };
  }

  async apply(before: DeltaTrust, opened: readonly OpenedBatch[], after: DeltaTrust): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      const moved = await tx.updateTable("sync_peers").set({
        trusted_note: after.trustedNote ?? "", applied_size: Number(after.appliedSize), frontier: frontierToJson(after.frontier),
        last_leaf_hash: after.lastLeafHash, address: this.address, updated_at_ms: Date.now(),
      }).where("origin", "=", this.origin).where("applied_size", "=", Number(before.appliedSize)).executeTakeFirst();
      if (moved.numUpdatedRows !== 1n) throw new OpmError("failed_precondition", `peer ${this.origin}: applied size moved since ${before.appliedSize} (another pull?)`);
      // The latest change per (kind, key) within the page wins, as it would one batch at a time.
      const latest = new Map<string, { origin: string; kind: string; key: string; digest: Uint8Array; value: Uint8Array; sequence: number }>();
      for (const b of opened) {
        for (const c of b.batch.changes) {
          latest.set(`${c.kind}\u0000${c.key}`, { origin: this.origin, kind: c.kind, key: c.key, digest: sha256(c.value), value: c.value, sequence: Number(b.batch.sequence) });
        }
      }
      const rows = [...latest.values()];
      for (let i = 0; i < rows.length; i += 1000) {
        await tx.insertInto("sync_objects").values(rows.slice(i, i + 1000))
          .onConflict((oc) => oc.columns(["origin", "kind", "key"]).doUpdateSet((eb) => ({
            digest: eb.ref("excluded.digest"), value: eb.ref("excluded.value"), sequence: eb.ref("excluded.sequence"),
          }))).execute();
      }
    });
  }
}

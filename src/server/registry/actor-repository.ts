import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Kysely, Selectable } from "kysely";
import { ActorSchema, ActorStatus, CapabilitiesSchema, type Actor, type Capabilities } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import type { ActorsTable, Database } from "../storage/index.js";

/** Actor kinds the registry knows. */
export type ActorKind = "adapter" | "participant" | "admin" | "governor" | "node";

const STATUS_TEXT: Record<ActorStatus, string> = {
  [ActorStatus.UNSPECIFIED]: "unspecified",
  [ActorStatus.PENDING]: "pending",
  [ActorStatus.ADMITTED]: "admitted",
  [ActorStatus.REVOKED]: "revoked",
  [ActorStatus.QUARANTINED]: "quarantined",
};

/** Reads one actor by name. */
export async function findActor(db: Kysely<Database>, name: string): Promise<Actor | undefined> {
  const row = await db.selectFrom("actors").selectAll().where("name", "=", name).executeTakeFirst();
  return row === undefined ? undefined : actorFromRow(row);
}

/**
 * Reads one actor by name with its row share-locked until the transaction ends: a
 * concurrent change of its status (a quarantine) either committed before and is seen, or
 * waits for this transaction.
 */
export async function findActorForShare(db: Kysely<Database>, name: string): Promise<Actor | undefined> {
  const row = await db.selectFrom("actors").selectAll().where("name", "=", name).forShare().executeTakeFirst();
  return row === undefined ? undefined : actorFromRow(row);
}

/** Inserts or replaces an actor. */
export async function saveActor(db: Kysely<Database>, actor: Actor, keyId: string): Promise<void> {
  const row = actorToRow(actor, keyId);
  await db.insertInto("actors").values(row)
    .onConflict((oc) => oc.column("name").doUpdateSet({ ...row, created_at_ms: undefined } as never)).execute();
}

/** Sets an actor's status. */
export async function setActorStatus(db: Kysely<Database>, name: string, status: ActorStatus, now: number): Promise<void> {
  await db.updateTable("actors").set({ status: STATUS_TEXT[status], updated_at_ms: now }).where("name", "=", name).execute();
}

/** Converts a row to the protobuf `Actor`. */
export function actorFromRow(row: Selectable<ActorsTable>): Actor {
  const status = (Object.entries(STATUS_TEXT).find(([, t]) => t === row.status)?.[0] ?? "0") as unknown as ActorStatus;
  return create(ActorSchema, {
    name: row.name,
    kind: row.kind,
    publicKey: row.public_key,
    status: Number(status),
    capabilities: row.capabilities.length === 0 ? undefined : fromBinary(CapabilitiesSchema, row.capabilities),
    certificateFingerprint: row.certificate_fingerprint,
    createdAtMs: BigInt(row.created_at_ms),
    updatedAtMs: BigInt(row.updated_at_ms),
    owner: row.owner,
  });
}

/** Converts a protobuf `Actor` to its row. */
export function actorToRow(actor: Actor, keyId: string): ActorsTable {
  return {
    name: actor.name,
    kind: actor.kind,
    public_key: actor.publicKey,
    key_id: keyId,
    status: STATUS_TEXT[actor.status],
    capabilities: actor.capabilities === undefined ? new Uint8Array() : toBinary(CapabilitiesSchema, actor.capabilities as Capabilities),
    owner: actor.owner,
    certificate_fingerprint: actor.certificateFingerprint,
    created_at_ms: Number(actor.createdAtMs),
    updated_at_ms: Number(actor.updatedAtMs),
  };
}

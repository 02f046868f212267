import type { Kysely } from "kysely";
import type { Actor } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import type { Database } from "../storage/index.js";
import { ROLES, parseRole, type Role } from "./roles.js";

/** One stored membership row. */
export interface MembershipRow {
  participant: string;
  actor: string;
  role: Role;
  addedBy: string;
  addedAtMs: number;
}

/**
 * The roles `actor` holds in the organisation `participant`: all of them for the
 * participant actor itself, else its membership rows. Requires `actor` registered.
 */
export async function rolesIn(db: Kysely<Database>, actor: Actor, participant: string): Promise<Set<Role>> {
  if (participant === "") return new Set();
  if (actor.kind === "participant" && actor.name === participant) return new Set(ROLES);
  const rows = await db.selectFrom("members").select("role").where("actor", "=", actor.name).where("participant", "=", participant).execute();
  return new Set(rows.map((r) => parseRole(r.role, "members.role")));
}

/** The organisations where `actor` holds `role` (its own, as a participant, included). */
export async function organisationsWithRole(db: Kysely<Database>, actor: Actor, role: Role): Promise<string[]> {
  const rows = await db.selectFrom("members").select("participant").where("actor", "=", actor.name).where("role", "=", role).execute();
  const orgs = new Set(rows.map((r) => r.participant));
  if (actor.kind === "participant") orgs.add(actor.name);
  return [...orgs].sort();
}

/** The actors of `participants`' organisations: the participants, their members and the adapters they own. */
export async function organisationActors(db: Kysely<Database>, participants: readonly string[]): Promise<string[]> {
  if (participants.length === 0) return [];
  const members = await db.selectFrom("members").select("actor").where("participant", "in", participants).execute();
  const adapters = await db.selectFrom("actors").select("name").where("kind", "=", "adapter").where("owner", "in", participants).execute();
  return [...new Set([...participants, ...members.map((m) => m.actor), ...adapters.map((a) => a.name)])].sort();
}

/** Every membership of `participant`'s organisation, by actor then role. */
export async function listMemberships(db: Kysely<Database>, participant: string): Promise<MembershipRow[]> {
  const rows = await db.selectFrom("members").selectAll().where("participant", "=", participant).orderBy("actor").orderBy("role").execute();
  return rows.map((r) => ({ participant: r.participant, actor: r.actor, role: parseRole(r.role, "members.role"), addedBy: r.added_by, addedAtMs: Number(r.added_at_ms) }));
}

/** Stores a membership; false when it existed. */
export async function insertMembership(db: Kysely<Database>, m: MembershipRow): Promise<boolean> {
  const inserted = await db.insertInto("members")
    .values({ participant: m.participant, actor: m.actor, role: m.role, added_by: m.addedBy, added_at_ms: m.addedAtMs })
    .onConflict((oc) => oc.columns(["participant", "actor", "role"]).doNothing()).returning("actor").executeTakeFirst();
  return inserted !== undefined;
}

/** Deletes a membership; false when there was none. */
export async function deleteMembership(db: Kysely<Database>, participant: string, actor: string, role: Role): Promise<boolean> {
  const deleted = await db.deleteFrom("members").where("participant", "=", participant).where("actor", "=", actor).where("role", "=", role)
    .returning("actor").executeTakeFirst();
  return deleted !== undefined;
}

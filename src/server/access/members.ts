import { create } from "@bufbuild/protobuf";
import { OpmError } from "../../kernel/errors/index.js";
import { validateActorName } from "../../kernel/pki/index.js";
import {
  AddMemberResponseSchema, ListMembersResponseSchema, MembershipSchema, RemoveMemberResponseSchema,
  type AddMemberRequest, type AddMemberResponse, type ListMembersRequest, type ListMembersResponse,
  type RemoveMemberRequest, type RemoveMemberResponse,
} from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { findActor } from "../registry/actor-repository.js";
import type { CallContext } from "../rpc/index.js";
import { deleteMembership, insertMembership, listMemberships, type MembershipRow } from "./member-repository.js";
import { parseRole } from "./roles.js";

/** The organisation a membership call names: its `participant`, the caller when empty; must be a registered participant. */
async function organisation(ctx: CallContext, participant: string): Promise<string> {
  const name = participant === "" ? ctx.actor : participant;
  validateActorName(name, "participant");
  const actor = await findActor(ctx.db, name);
  if (actor?.kind !== "participant") throw new OpmError("not_found", `field \`participant\`: ${name} is not a registered participant`, { field: "participant" });
  return name;
}

/** AddMember: gives a registered actor (not an adapter: adapters act for their owner) a role; audited. */
export async function addMember(ctx: CallContext, req: AddMemberRequest): Promise<AddMemberResponse> {
  const participant = await organisation(ctx, req.participant);
  const role = parseRole(req.role);
  validateActorName(req.actor, "actor");
  const member = await findActor(ctx.db, req.actor);
  if (member === undefined) throw new OpmError("not_found", `field \`actor\`: ${req.actor} is not registered`, { field: "actor" });
  if (member.kind !== "participant") {
    throw new OpmError("failed_precondition", `field \`actor\`: ${req.actor} is a ${member.kind}; members are participant identities (an adapter acts for its owner)`, { field: "actor" });
  }
  if (member.name === participant) throw new OpmError("failed_precondition", `${participant} holds every role of its own organisation`, { field: "actor" });
  const row: MembershipRow = { participant, actor: req.actor, role, addedBy: ctx.actor, addedAtMs: ctx.now };
  const created = await insertMembership(ctx.db, row);
  if (created) await ctx.audit("member.add", `${participant}/${req.actor}`, `role ${role}`);
  return create(AddMemberResponseSchema, { membership: toProto(row), created });
}

/** RemoveMember: takes a role from a member; audited. */
export async function removeMember(ctx: CallContext, req: RemoveMemberRequest): Promise<RemoveMemberResponse> {
  const participant = await organisation(ctx, req.participant);
  const role = parseRole(req.role);
  validateActorName(req.actor, "actor");
  const removed = await deleteMembership(ctx.db, participant, req.actor, role);
  if (removed) await ctx.audit("member.remove", `${participant}/${req.actor}`, `role ${role}`);
  return create(RemoveMemberResponseSchema, { removed });
}

/** ListMembers: an organisation's memberships (the participant itself, holding every role, is not listed). */
export async function listMembers(ctx: CallContext, req: ListMembersRequest): Promise<ListMembersResponse> {
  const participant = await organisation(ctx, req.participant);
  return create(ListMembersResponseSchema, { members: (await listMemberships(ctx.db, participant)).map(toProto) });
}

function toProto(m: MembershipRow) {
  return create(MembershipSchema, { participant: m.participant, actor: m.actor, role: m.role, addedBy: m.addedBy, addedAtMs: BigInt(m.addedAtMs) });
}

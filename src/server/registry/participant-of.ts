import type { Actor } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import type { CallContext } from "../rpc/index.js";
import { findActor } from "./actor-repository.js";

/**
 * The participant whose problems `actor` counts as its own: a participant itself, an
 * adapter's owner (empty for an adapter nobody owns), nobody ("") for other actors or an
 * unregistered caller. A private problem's exact results are readable by this
 * participant's actors only.
 */
export function participantOf(actor: Actor | undefined): string {
  if (actor === undefined) return "";
  return actor.kind === "participant" ? actor.name : actor.owner;
}

/** `participantOf` the calling actor, as stored. */
export async function callerParticipant(ctx: CallContext): Promise<string> {
  return participantOf(await findActor(ctx.db, ctx.actor));
}

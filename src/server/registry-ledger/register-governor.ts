import { create } from "@bufbuild/protobuf";
import { keyIdOf, publicKeyFromRaw } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import type { RegisterGovernorRequest, RegisterGovernorResponse } from "../../gen/openpassmarket/v1/ledger_service_pb.js";
import { RegisterGovernorResponseSchema } from "../../gen/openpassmarket/v1/ledger_service_pb.js";
import { ActorSchema, ActorStatus } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { decodeEntry } from "../../ledger/index.js";
import { validateActorName } from "../../kernel/pki/index.js";
import { findActor, saveActor } from "../registry/actor-repository.js";
import type { ActorKeys } from "../registry/index.js";
import type { CallContext } from "../rpc/index.js";
import { toHexKey } from "./db-helpers.js";
import { listProposalRows } from "./proposal-repository.js";
import type { RegistryLedger } from "./registry-ledger.js";

/**
 * Governor names by raw key hex: the current set plus the sets named by pending genesis
 * and rotation proposals (whose new governors must be able to sign them).
 */
async function knownGovernors(ctx: CallContext, ledger: RegistryLedger): Promise<Map<string, string>> {
  const state = await ledger.state(ctx.db);
  const out = new Map<string, string>();
  for (const [hex, g] of state.governors.keys) out.set(hex, g.name);
  for (const row of await listProposalRows(ctx.db, { pendingAt: state.size })) {
    const kind = decodeEntry(Uint8Array.from(row.entry)).kind;
    const named = kind.case === "genesis" ? kind.value.governors : kind.case === "governorRotation" ? kind.value.newGovernors : [];
    for (const g of named) if (!out.has(toHexKey(g.publicKey))) out.set(toHexKey(g.publicKey), g.name);
  }
  return out;
}

/**
 * Registers the caller (its certificate name) as an actor of kind `governor` with
 * `req.public_key`, which must be a current governor key or one a pending genesis or
 * rotation names. Idempotent for the same key; a registered name keeps its kind and key.
 */
export async function registerGovernor(ctx: CallContext, ledger: RegistryLedger, keys: ActorKeys, req: RegisterGovernorRequest): Promise<RegisterGovernorResponse> {
  validateActorName(ctx.actor, "certificate common name");
  publicKeyFromRaw(req.publicKey, "public_key");
  const governorName = (await knownGovernors(ctx, ledger)).get(toHexKey(req.publicKey));
  if (governorName === undefined) {
    throw new OpmError("permission_denied", `key ${keyIdOf(req.publicKey)} is not a governor key of the ledger or of a pending genesis or rotation`, { field: "public_key" });
  }
  const existing = await findActor(ctx.db, ctx.actor);
  if (existing !== undefined) {
    if (existing.kind !== "governor") throw new OpmError("already_exists", `${ctx.actor} is already registered as ${existing.kind}, not governor`);
    if (!Buffer.from(existing.publicKey).equals(Buffer.from(req.publicKey))) {
      throw new OpmError("already_exists", `${ctx.actor} is registered with key ${keyIdOf(existing.publicKey)}`, { field: "public_key" });
    }
  } else {
    await saveActor(ctx.db, create(ActorSchema, {
      name: ctx.actor, kind: "governor", publicKey: req.publicKey, status: ActorStatus.ADMITTED,
      certificateFingerprint: ctx.certificateFingerprint, createdAtMs: BigInt(ctx.now), updatedAtMs: BigInt(ctx.now),
    }), keyIdOf(req.publicKey));
    keys.forget(ctx.actor);
    await ctx.audit("governor.register", ctx.actor, governorName);
  }
  return create(RegisterGovernorResponseSchema, { name: ctx.actor, governorName });
}

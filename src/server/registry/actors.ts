import { create } from "@bufbuild/protobuf";
import type { KeyObject } from "node:crypto";
import { keyIdOf, publicKeyFromRaw } from "../../kernel/codec/index.js";
import { OpmError, invalidArgument } from "../../kernel/errors/index.js";
import { Compiler } from "../../gen/openpassmarket/v1/common_pb.js";
import {
  ActorSchema,
  ActorStatus,
  type Actor,
  type AdmitAdapterRequest,
  type RegisterAdapterRequest,
  type RegisterParticipantRequest,
} from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { validateActorName } from "../../kernel/pki/index.js";
import type { CallContext } from "../rpc/index.js";
import { findActor, saveActor, setActorStatus, type ActorKind } from "./actor-repository.js";
import type { ActorKeys, CachedActor } from "./actor-keys.js";
import type { AdmissionAuthority } from "./admission-authority.js";
import { requireDigest, requireEnum, requireText } from "./validate.js";

/** The key a registration must be signed with: the one it registers (proof of possession). */
export async function registrationKey(request: { publicKey: Uint8Array }): Promise<KeyObject> {
  return publicKeyFromRaw(request.publicKey, "public_key");
}

/**
 * Registers the caller as an adapter. New adapters are pending; re-registering with the
 * same key keeps the status (updating capabilities); a different key is refused — keys
 * change only through rotation.
 */
export async function registerAdapter(ctx: CallContext, keys: ActorKeys, req: RegisterAdapterRequest): Promise<Actor> {
  const caps = req.capabilities;
  if (caps === undefined) throw invalidArgument("capabilities", "is required");
  requireEnum(caps.compiler, Compiler, "capabilities.compiler");
  requireText(caps.compilerVersion, "capabilities.compiler_version", 64);
  requireText(caps.targetTriple, "capabilities.target_triple", 128);
  if (req.owner !== "") validateActorName(req.owner, "owner");
  return register(ctx, keys, "adapter", req.publicKey, (actor) => {
    actor.capabilities = caps;
    actor.owner = req.owner;
  });
}

/** Registers the caller as a participant (admitted at once: its certificate is the credential). */
export async function registerParticipant(ctx: CallContext, keys: ActorKeys, req: RegisterParticipantRequest): Promise<Actor> {
  return register(ctx, keys, "participant", req.publicKey, () => undefined);
}

/** Registers an operator or other built-in actor directly (used by `opm serve` at start). */
export async function registerBuiltin(ctx: CallContext, kind: ActorKind, publicKey: Uint8Array): Promise<Actor> {
  const existing = await findActor(ctx.db, ctx.actor);
  const actor = create(ActorSchema, {
    name: ctx.actor, kind, publicKey, status: ActorStatus.ADMITTED, certificateFingerprint: ctx.certificateFingerprint,
    createdAtMs: existing?.createdAtMs ?? BigInt(ctx.now), updatedAtMs: BigInt(ctx.now),
  });
  await saveActor(ctx.db, actor, keyIdOf(publicKey));
  if (existing === undefined) await ctx.audit(`${kind}.register`, ctx.actor);
  return actor;
}

async function register(ctx: CallContext, keys: ActorKeys, kind: ActorKind, publicKey: Uint8Array, fill: (a: Actor) => void): Promise<Actor> {
  validateActorName(ctx.actor, "certificate common name");
  publicKeyFromRaw(publicKey, "public_key");
  const existing = await findActor(ctx.db, ctx.actor);
  if (existing !== undefined) {
    if (existing.kind !== kind) {
      throw new OpmError("already_exists", `${ctx.actor} is already registered as ${existing.kind}, not ${kind}`);
    }
    if (!Buffer.from(existing.publicKey).equals(Buffer.from(publicKey))) {
      throw new OpmError("already_exists", `${ctx.actor} is registered with key ${keyIdOf(existing.publicKey)}; a new key needs a key rotation`, { field: "public_key" });
    }
  }
  const actor = create(ActorSchema, {
    name: ctx.actor,
    kind,
    publicKey,
    status: existing?.status ?? (kind === "participant" ? ActorStatus.ADMITTED : ActorStatus.PENDING),
    certificateFingerprint: ctx.certificateFingerprint,
    createdAtMs: existing?.createdAtMs ?? BigInt(ctx.now),
    updatedAtMs: BigInt(ctx.now),
  });
  fill(actor);
  await saveActor(ctx.db, actor, keyIdOf(publicKey));
  keys.forget(ctx.actor);
  ctx.afterCommit(() => keys.forget(ctx.actor));
  await ctx.audit(`${kind}.register`, ctx.actor, existing === undefined ? "new" : "re-registered");
  return actor;
}

/** Admits a pending adapter, if the admission authority allows the caller to. */
export async function admitAdapter(ctx: CallContext, authority: AdmissionAuthority, keys: ActorKeys, req: AdmitAdapterRequest): Promise<Actor> {
  validateActorName(req.adapter, "adapter");
  requireDigest(req.keyId, "key_id");
  const adapter = await findActor(ctx.db, req.adapter);
  if (adapter === undefined || adapter.kind !== "adapter") throw new OpmError("not_found", `adapter ${req.adapter} is not registered`, { field: "adapter" });
  const keyId = keyIdOf(adapter.publicKey);
  if (keyId !== req.keyId) {
    throw new OpmError("failed_precondition", `adapter ${req.adapter} has key ${keyId}, not ${req.keyId}`, { field: "key_id" });
  }
  if (adapter.status === ActorStatus.REVOKED) throw new OpmError("failed_precondition", `adapter ${req.adapter} is revoked`);
  await authority.authorizeAdmission(ctx, req.adapter, req.keyId);
  if (adapter.status !== ActorStatus.ADMITTED) {
    await setActorStatus(ctx.db, req.adapter, ActorStatus.ADMITTED, ctx.now);
    keys.forget(req.adapter);
    ctx.afterCommit(() => keys.forget(req.adapter));
    await ctx.audit("adapter.admit", req.adapter, req.reason);
  }
  adapter.status = ActorStatus.ADMITTED;
  adapter.updatedAtMs = BigInt(ctx.now);
  return adapter;
}

/**
 * The calling actor, which must be of `kind`; throws permission_denied otherwise. With
 * `keys` the actor comes from its cache (the hot paths: claims and signals).
 */
export async function requireCaller(ctx: CallContext, kind: ActorKind, keys?: ActorKeys): Promise<Actor> {
  if (keys !== undefined) return (await requireCachedCaller(ctx, kind, keys)).actor;
  const actor = await findActor(ctx.db, ctx.actor);
  if (actor === undefined) throw new OpmError("unauthenticated", `actor ${ctx.actor} is not registered`);
  return requireKind(actor, kind);
}

/** `requireCaller` from the cache, with the caller's key and key id (for its signed objects). */
export async function requireCachedCaller(ctx: CallContext, kind: ActorKind, keys: ActorKeys): Promise<CachedActor> {
  const cached = await keys.actorOf(ctx.actor, ctx.db);
  requireKind(cached.actor, kind);
  return cached;
}

function requireKind(actor: Actor, kind: ActorKind): Actor {
  if (actor.kind !== kind) throw new OpmError("permission_denied", `${actor.name} is a ${actor.kind}; only a ${kind} may do this`);
  return actor;
}

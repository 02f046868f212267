import type { Kysely } from "kysely";
import type { KeyObject } from "node:crypto";
import { publicKeyFromRaw } from "../codec/index.js";
import { OpmError } from "../errors/index.js";
import type { Actor } from "../gen/openpassmarket/v1/registry_service_pb.js";
import type { Database } from "../storage/index.js";
import { findActor } from "./actor-repository.js";

/** An actor as last read, with its key ready for verification. */
export interface CachedActor {
  actor: Actor;
  key: KeyObject;
}

/**
 * Registered actors by name, with their Ed25519 keys as KeyObjects: verifying a request
 * must not parse a key or read the database on the hot path. This node is the only writer
 * of the actors table, and every write (registration, admission, revocation) calls
 * `forget` for the actor it changed, so a cached entry is never staler than the last write.
 */
export class ActorKeys {
  private readonly cache = new Map<string, CachedActor>();

  constructor(private readonly db: Kysely<Database>) {}

  /** The actor and key of `name`; throws unauthenticated when it is not registered. */
  async actorOf(name: string, db: Kysely<Database> = this.db): Promise<CachedActor> {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    const actor = await findActor(db, name);
    if (actor === undefined) throw new OpmError("unauthenticated", `actor ${name} is not registered`);
    const entry = { actor, key: publicKeyFromRaw(actor.publicKey) };
    this.cache.set(name, entry);
    return entry;
  }

  /** The registered key of `actor`; throws unauthenticated when the actor is not registered. */
  async keyOf(actor: string): Promise<KeyObject> {
    return (await this.actorOf(actor)).key;
  }

  /** Drops the cached entry of `actor` (call after any write to it). */
  forget(actor: string): void {
    this.cache.delete(actor);
  }
}

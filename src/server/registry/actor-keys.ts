import type { Kysely } from "kysely";
import type { KeyObject } from "node:crypto";
import { keyIdOf, publicKeyFromRaw } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import type { Actor } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import type { Database } from "../storage/index.js";
import { findActor } from "./actor-repository.js";

/** An actor as last read, with its key ready for verification. */
export interface CachedActor {
  actor: Actor;
  key: KeyObject;
  /** SHA-256 hex of the raw key, as signatures name it. */
  keyId: string;
}

/**
 * Registered actors by name, with their Ed25519 keys as KeyObjects: verifying a request
 * must not parse a key or read the database on the hot path. This node is the only writer
 * of the actors table, and every write (registration, admission, quarantine, revocation)
 * calls `forget` for the actor it changed, in its handler and again once committed, so a
 * cached entry is never staler than the last committed write.
 */
export class ActorKeys {
  private readonly cache = new Map<string, CachedActor>();
  /** Bumped by every `forget`: a read that overlapped one may hold the old row and is not cached. */
  private generation = 0;

  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The actor and key of `name`; throws unauthenticated when it is not registered. Inside
   * a handler pass the call's transaction: a miss then reads through it — on PGlite, one
   * connection, a read outside the transaction would wait for it to end, a deadlock — and
   * is not cached, since the transaction may still roll back.
   */
  async actorOf(name: string, db: Kysely<Database> = this.db): Promise<CachedActor> {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const actor = await findActor(db, name);
    if (actor === undefined) throw new OpmError("unauthenticated", `actor ${name} is not registered`);
    const entry = { actor, key: publicKeyFromRaw(actor.publicKey), keyId: keyIdOf(actor.publicKey) };
    if (!db.isTransaction && generation === this.generation) this.cache.set(name, entry);
    return entry;
  }

  /** The registered key of `actor`; throws unauthenticated when the actor is not registered. */
  async keyOf(actor: string): Promise<KeyObject> {
    return (await this.actorOf(actor)).key;
  }

  /** Drops the cached entry of `actor` (call after any write to it). */
  forget(actor: string): void {
    this.generation++;
    this.cache.delete(actor);
  }
}

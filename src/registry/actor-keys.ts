import type { Kysely } from "kysely";
import type { KeyObject } from "node:crypto";
import { publicKeyFromRaw } from "../codec/index.js";
import { OpmError } from "../errors/index.js";
import type { Database } from "../storage/index.js";

/**
 * Registered Ed25519 keys by actor name, cached as KeyObjects: verifying a request must
 * not parse a key or hit the database on the hot path. This node is the only writer of
 * the actors table, so a registration that changes a key calls `forget`.
 */
export class ActorKeys {
  private readonly cache = new Map<string, KeyObject>();

  constructor(private readonly db: Kysely<Database>) {}

  /** The key of `actor`; throws unauthenticated when the actor is not registered. */
  async keyOf(actor: string): Promise<KeyObject> {
    const cached = this.cache.get(actor);
    if (cached !== undefined) return cached;
    const row = await this.db.selectFrom("actors").select("public_key").where("name", "=", actor).executeTakeFirst();
    if (row === undefined) throw new OpmError("unauthenticated", `actor ${actor} is not registered`);
    const key = publicKeyFromRaw(row.public_key);
    this.cache.set(actor, key);
    return key;
  }

  /** Drops the cached key of `actor`. */
  forget(actor: string): void {
    this.cache.delete(actor);
  }
}

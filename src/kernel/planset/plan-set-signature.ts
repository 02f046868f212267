import { PlanSetSchema, type PlanSet } from "../../gen/openpassmarket/v1/planset_pb.js";
import { keyIdOf, objectId, publicKeyFromRaw, signObject, verifyObject, type Ed25519KeyPair } from "../codec/index.js";
import { OpmError } from "../errors/index.js";

/**
 * The version of a plan set: the content id (SHA-256 hex) of its canonical bytes with the
 * signature unset — the same signals give the same version, whoever signs it.
 */
export function planSetVersion(set: PlanSet): string {
  return objectId(PlanSetSchema, set);
}

/** Signs `set` (modified and returned) as `signer` with `keys`. */
export function signPlanSet(set: PlanSet, signer: string, keys: Ed25519KeyPair): PlanSet {
  return signObject(PlanSetSchema, set, signer, keys);
}

/**
 * Checks that `set` is signed by `publicKey` (and that key is one of `trustedKeyIds` when
 * given); returns its version. Throws unauthenticated naming what is wrong: an unsigned
 * set, another key, an untrusted key, a signature that does not verify (a tampered set).
 */
export function verifyPlanSet(set: PlanSet, publicKey: Uint8Array, trustedKeyIds?: readonly string[]): string {
  const keyId = keyIdOf(publicKey);
  if (trustedKeyIds !== undefined && !trustedKeyIds.includes(keyId)) {
    throw new OpmError("unauthenticated", `plan set signed by key ${keyId} (${set.signature?.signer ?? "unsigned"}), which is not trusted (${trustedKeyIds.join(", ") || "none"})`, { field: "signature.key_id" });
  }
  verifyObject(PlanSetSchema, set, publicKeyFromRaw(publicKey), keyId);
  return planSetVersion(set);
}

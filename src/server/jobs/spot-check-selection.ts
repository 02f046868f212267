import { createHmac } from "node:crypto";
import { sha256, signBytes, type Ed25519KeyPair } from "../../kernel/codec/index.js";

const KEY_LABEL = new TextEncoder().encode("openpassmarket spot-check selection key v1");
const TWO_TO_64 = 2 ** 64;

/**
 * The secret that keys spot-check selection, derived from the node's log key: SHA-256 of
 * the key's Ed25519 signature over a fixed label. Ed25519 signatures are deterministic,
 * so the same data dir always gives the same key (recorded runs replay), and nobody
 * without the private key can compute it.
 */
export function spotCheckKeyOf(nodeKey: Ed25519KeyPair): Uint8Array {
  return sha256(signBytes(nodeKey.privateKey, KEY_LABEL));
}

/**
 * Whether job `jobId` is spot-checked at `fraction` (requires 0 <= fraction <= 1): the
 * first 8 bytes of HMAC-SHA-256(key, job id), read as an unsigned integer, divided by
 * 2^64, is below `fraction`. Deterministic in (key, job id), so a replay with the node's
 * key selects the same jobs. Keyed rather than a plain hash of the job id because an
 * adapter sees the job id when it claims: with a plain hash it could compute which of its
 * jobs will be checked, and lie only on the others.
 */
export function isSpotChecked(key: Uint8Array, jobId: string, fraction: number): boolean {
  if (fraction <= 0) return false;
  if (fraction >= 1) return true;
  const n = createHmac("sha256", key).update(jobId, "utf8").digest().readBigUInt64BE(0);
  return Number(n) / TWO_TO_64 < fraction;
}

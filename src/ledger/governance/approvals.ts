import type { KeyObject } from "node:crypto";
import { verifyBytes } from "../../kernel/codec/index.js";
import type { LedgerSignature } from "../../gen/openpassmarket/v1/ledger_pb.js";
import { toHex } from "../bytes.js";
import { LedgerError } from "../errors.js";
import { entrySigningPayload } from "./entry-codec.js";

/** A governor set: keys by lowercase hex of the raw public key, and the threshold. */
export interface GovernorSet {
  keys: ReadonlyMap<string, { name: string; key: KeyObject }>;
  threshold: number;
}

/**
 * Number of DISTINCT keys of `set` with a valid signature over `entryBytes` (TUF's
 * rule: a key counts once however often it signs). Signatures by keys outside the set
 * are ignored; any invalid signature by a key of the set rejects the whole entry
 * (bad_signature), so a proposal cannot carry a forged approval along with real ones.
 * `payload` may be passed when already computed (entrySigningPayload(entryBytes)).
 */
export function approvalCount(
  entryBytes: Uint8Array,
  signatures: readonly LedgerSignature[],
  set: GovernorSet,
  payload: Uint8Array = entrySigningPayload(entryBytes),
): number {
  const approved = new Set<string>();
  for (const sig of signatures) {
    const hex = toHex(sig.publicKey);
    const governor = set.keys.get(hex);
    if (governor === undefined) continue;
    if (!verifyBytes(governor.key, payload, sig.signature)) {
      throw new LedgerError("bad_signature", `signature by governor ${governor.name} (${hex.slice(0, 16)}…) does not verify`);
    }
    approved.add(hex);
  }
  return approved.size;
}

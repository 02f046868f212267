import { publicKeyFromRaw } from "../../kernel/codec/index.js";
import type { GovernorKey } from "../../gen/openpassmarket/v1/ledger_pb.js";
import { toHex } from "../bytes.js";
import { LedgerError } from "../errors.js";
import type { GovernorSet } from "./approvals.js";

/**
 * Builds a governor set from entry payload keys. Requires at least one governor, names
 * non-empty, 32-byte keys, no key listed twice, and 1 <= threshold <= n. Throws
 * invalid_transition naming `field` and the offending value.
 */
export function governorSetFrom(governors: readonly GovernorKey[], threshold: number, field: string, entryIndex: bigint): GovernorSet {
  const bad = (msg: string) => new LedgerError("invalid_transition", `entry ${entryIndex}: ${field}: ${msg}`, { entryIndex, field });
  if (governors.length === 0) throw bad("no governors");
  const keys = new Map<string, { name: string; key: ReturnType<typeof publicKeyFromRaw> }>();
  for (const [i, g] of governors.entries()) {
    if (g.name.length === 0) throw bad(`governor ${i} has an empty name`);
    if (g.publicKey.length !== 32) throw bad(`governor ${g.name} key has ${g.publicKey.length} bytes, want 32`);
    const hex = toHex(g.publicKey);
    if (keys.has(hex)) throw bad(`governor key ${hex.slice(0, 16)}… listed twice`);
    keys.set(hex, { name: g.name, key: publicKeyFromRaw(g.publicKey) });
  }
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > keys.size) {
    throw bad(`threshold ${threshold} outside [1, ${keys.size}]`);
  }
  return { keys, threshold };
}

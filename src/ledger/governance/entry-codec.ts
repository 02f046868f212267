import { create, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { canonicalBytes, pae, signBytes, type Ed25519KeyPair } from "../../kernel/codec/index.js";
import {
  LedgerEntrySchema,
  LedgerSignatureSchema,
  SignedLedgerEntrySchema,
  type LedgerEntry,
  type LedgerSignature,
  type SignedLedgerEntry,
} from "../../gen/openpassmarket/v1/ledger_pb.js";
import { compareBytes, equalBytes, toHex } from "../bytes.js";
import { LedgerError } from "../errors.js";
import { hashLeaf } from "../merkle/hasher.js";

/** DSSE payload type under which governors sign entries. */
export const ENTRY_PAYLOAD_TYPE = "openpassmarket.v1.LedgerEntry";

/** Canonical bytes of an entry (what governors sign and what SignedLedgerEntry.entry holds). */
export function encodeEntry(entry: MessageInitShape<typeof LedgerEntrySchema>): Uint8Array {
  return canonicalBytes(LedgerEntrySchema, create(LedgerEntrySchema, entry));
}

/**
 * Decodes entry bytes and requires them to be canonical (re-encoding gives the same
 * bytes), so one entry has exactly one byte string: no unknown fields, no reordering,
 * no non-minimal varints. Throws malformed_entry.
 */
export function decodeEntry(bytes: Uint8Array, index?: bigint): LedgerEntry {
  const where = index === undefined ? "entry" : `entry ${index}`;
  let entry: LedgerEntry;
  try {
    entry = fromBinary(LedgerEntrySchema, bytes);
  } catch (err) {
    throw new LedgerError("malformed_entry", `${where}: not a LedgerEntry: ${(err as Error).message}`, { cause: err, ...(index === undefined ? {} : { entryIndex: index }) });
  }
  if (!equalBytes(canonicalBytes(LedgerEntrySchema, entry), bytes)) {
    throw new LedgerError("malformed_entry", `${where}: bytes are not the canonical encoding`, index === undefined ? {} : { entryIndex: index });
  }
  return entry;
}

/** The bytes a governor signs: PAE(ENTRY_PAYLOAD_TYPE, entry bytes). */
export function entrySigningPayload(entryBytes: Uint8Array): Uint8Array {
  return pae(ENTRY_PAYLOAD_TYPE, entryBytes);
}

/** A governor's signature over `entryBytes`. */
export function signEntry(entryBytes: Uint8Array, governor: Ed25519KeyPair): LedgerSignature {
  return create(LedgerSignatureSchema, {
    publicKey: governor.publicKeyRaw,
    signature: signBytes(governor.privateKey, entrySigningPayload(entryBytes)),
  });
}

/**
 * The log form of an entry: signatures sorted by public key with duplicates of one key
 * removed (the first is kept), so the leaf bytes do not depend on arrival order.
 */
export function makeSignedEntry(entryBytes: Uint8Array, signatures: readonly LedgerSignature[]): SignedLedgerEntry {
  const seen = new Set<string>();
  const unique = signatures.filter((s) => {
    const k = toHex(s.publicKey);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  unique.sort((a, b) => compareBytes(a.publicKey, b.publicKey));
  return create(SignedLedgerEntrySchema, { entry: entryBytes, signatures: unique });
}

/** Canonical bytes of a signed entry: the exact bytes under the Merkle leaf. */
export function encodeSignedEntry(signed: SignedLedgerEntry): Uint8Array {
  return canonicalBytes(SignedLedgerEntrySchema, signed);
}

/** Decodes signed-entry bytes strictly (canonical, like decodeEntry). Throws malformed_entry naming `index`. */
export function decodeSignedEntry(bytes: Uint8Array, index: bigint): SignedLedgerEntry {
  let signed: SignedLedgerEntry;
  try {
    signed = fromBinary(SignedLedgerEntrySchema, bytes);
  } catch (err) {
    throw new LedgerError("malformed_entry", `entry ${index}: not a SignedLedgerEntry: ${(err as Error).message}`, { entryIndex: index, cause: err });
  }
  if (!equalBytes(canonicalBytes(SignedLedgerEntrySchema, signed), bytes)) {
    throw new LedgerError("malformed_entry", `entry ${index}: signed entry bytes are not canonical`, { entryIndex: index });
  }
  return signed;
}

/** Merkle leaf hash of a signed entry: SHA-256(0x00 ‖ canonical SignedLedgerEntry bytes). */
export function entryLeafHash(signed: SignedLedgerEntry): Uint8Array {
  return hashLeaf(encodeSignedEntry(signed));
}

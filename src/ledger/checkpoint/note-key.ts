import { createHash } from "node:crypto";
import { fromBase64Strict, toBase64 } from "../bytes.js";
import { LedgerError } from "../errors.js";

/** Signature type bytes of C2SP signed-note used here. */
export const SIG_TYPE_ED25519 = 0x01;
/** C2SP tlog-cosignature timestamped Ed25519 (cosignature/v1). */
export const SIG_TYPE_COSIGNATURE_V1 = 0x04;

/** Something that signs note text under a key name (C2SP signed-note). */
export interface NoteSigner {
  readonly name: string;
  /** uint32 key id, as in the first 4 bytes of each signature. */
  readonly keyId: number;
  /** The signature bytes that follow the key id (may embed a timestamp, for cosignatures). */
  sign(text: Uint8Array): Uint8Array;
}

/** Something that verifies note signatures of one key. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  /** True when `signature` (without the 4-byte key id) is valid for `text`. */
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * Throws malformed_note unless `name` is a valid key name: non-empty, no Unicode
 * spaces, no `+` (C2SP signed-note §Format).
 */
export function checkKeyName(name: string): void {
  if (name.length === 0 || /[\s+]/u.test(name) || /[\u0000-\u001f]/.test(name)) {
    throw new LedgerError("malformed_note", `invalid key name ${JSON.stringify(name)}: must be non-empty without spaces or '+'`);
  }
}

/** Key id = SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4] as a big-endian uint32. Requires a valid name. */
export function computeKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const digest = createHash("sha256").update(name).update(new Uint8Array([0x0a, type])).update(publicKey).digest();
  return digest.readUInt32BE(0);
}

/** The vkey string `<name>+<8 hex digits key id>+<base64(type ‖ public key)>`. */
export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  checkKeyName(name);
  const id = computeKeyId(name, type, publicKey).toString(16).padStart(8, "0");
  return `${name}+${id}+${toBase64(new Uint8Array([type, ...publicKey]))}`;
}

/** Parsed vkey: its parts, with the key id checked against the key. */
export interface VerifierKeyParts {
  name: string;
  keyId: number;
  type: number;
  publicKey: Uint8Array;
}

/**
 * Parses a vkey string strictly: three `+`-separated parts, 8 lowercase hex digits,
 * strict base64, and a key id that matches the name and key. Throws malformed_note.
 */
export function parseVerifierKey(vkey: string): VerifierKeyParts {
  // Base64 key material may itself contain '+': split at the first two only.
  const first = vkey.indexOf("+");
  const second = first < 0 ? -1 : vkey.indexOf("+", first + 1);
  if (second < 0) throw new LedgerError("malformed_note", `verifier key ${JSON.stringify(vkey.slice(0, 60))} is not <name>+<id>+<key>`);
  const [name, idHex, keyB64] = [vkey.slice(0, first), vkey.slice(first + 1, second), vkey.slice(second + 1)];
  checkKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new LedgerError("malformed_note", `verifier key id ${JSON.stringify(idHex)} is not 8 lowercase hex digits`);
  const raw = fromBase64Strict(keyB64);
  if (raw === undefined || raw.length < 2) throw new LedgerError("malformed_note", `verifier key material is not valid base64`);
  const type = raw[0]!;
  const publicKey = raw.subarray(1);
  const keyId = parseInt(idHex, 16);
  const want = computeKeyId(name, type, publicKey);
  if (keyId !== want) throw new LedgerError("malformed_note", `verifier key id ${idHex} does not match key (want ${want.toString(16).padStart(8, "0")})`);
  return { name, keyId, type, publicKey };
}

import type { KeyObject } from "node:crypto";
import { ed25519FromSeed, publicKeyFromRaw, signBytes, verifyBytes, type Ed25519KeyPair } from "../../kernel/codec/index.js";
import { concatBytes } from "../bytes.js";
import { LedgerError } from "../errors.js";
import {
  SIG_TYPE_COSIGNATURE_V1,
  checkKeyName,
  computeKeyId,
  formatVerifierKey,
  parseVerifierKey,
  type NoteSigner,
  type NoteVerifier,
} from "./note-key.js";

const MAX_TIMESTAMP = (1n << 63n) - 1n;

/** The message a cosigner signs: `cosignature/v1\ntime <ts>\n` ‖ checkpoint body (C2SP tlog-cosignature). */
export function cosignedMessage(timestamp: bigint, body: Uint8Array): Uint8Array {
  return concatBytes(new TextEncoder().encode(`cosignature/v1\ntime ${timestamp}\n`), body);
}

/**
 * A witness cosigner (signature type 0x04): signs `cosignedMessage(now, body)` and
 * emits timestamp (8 bytes big-endian) ‖ Ed25519 signature. `clock` returns POSIX
 * seconds; tests pass a fixed one. The caller (a witness) must have checked
 * consistency of the checkpoint before cosigning.
 */
export class CosignatureSigner implements NoteSigner {
  readonly keyId: number;

  constructor(readonly name: string, private readonly pair: Ed25519KeyPair, private readonly clock: () => bigint = () => BigInt(Math.floor(Date.now() / 1000))) {
    checkKeyName(name);
    this.keyId = computeKeyId(name, SIG_TYPE_COSIGNATURE_V1, pair.publicKeyRaw);
  }

  /** A cosigner whose private key is the 32-byte `seed`. */
  static fromSeed(name: string, seed: Uint8Array, clock?: () => bigint): CosignatureSigner {
    return new CosignatureSigner(name, ed25519FromSeed(seed), clock);
  }

  sign(body: Uint8Array): Uint8Array {
    const ts = this.clock();
    if (ts < 0n || ts > MAX_TIMESTAMP) throw new LedgerError("bad_argument", `cosignature timestamp ${ts} outside [0, 2^63)`);
    const out = new Uint8Array(8 + 64);
    new DataView(out.buffer).setBigUint64(0, ts);
    out.set(signBytes(this.pair.privateKey, cosignedMessage(ts, body)), 8);
    return out;
  }

  verifierKey(): string {
    return formatVerifierKey(this.name, SIG_TYPE_COSIGNATURE_V1, this.pair.publicKeyRaw);
  }

  verifier(): CosignatureVerifier {
    return new CosignatureVerifier(this.name, this.pair.publicKeyRaw);
  }
}

/** Verifies cosignature/v1 signatures of one witness key; `lastTimestamp` holds the time of the last verified one. */
export class CosignatureVerifier implements NoteVerifier {
  readonly keyId: number;
  private readonly key: KeyObject;
  lastTimestamp: bigint | undefined;

  constructor(readonly name: string, readonly publicKey: Uint8Array) {
    checkKeyName(name);
    this.key = publicKeyFromRaw(publicKey);
    this.keyId = computeKeyId(name, SIG_TYPE_COSIGNATURE_V1, publicKey);
  }

  /** The verifier of a vkey string; throws malformed_note unless it is a type 0x04 Ed25519 key. */
  static fromVerifierKey(vkey: string): CosignatureVerifier {
    const parts = parseVerifierKey(vkey);
    if (parts.type !== SIG_TYPE_COSIGNATURE_V1 || parts.publicKey.length !== 32) {
      throw new LedgerError("malformed_note", `verifier key type 0x${parts.type.toString(16)} is not a cosignature/v1 key (0x04)`);
    }
    return new CosignatureVerifier(parts.name, parts.publicKey);
  }

  verify(body: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length !== 8 + 64) return false;
    const ts = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0);
    if (ts > MAX_TIMESTAMP) return false;
    const ok = verifyBytes(this.key, cosignedMessage(ts, body), signature.subarray(8));
    if (ok) this.lastTimestamp = ts;
    return ok;
  }
}

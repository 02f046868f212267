import type { KeyObject } from "node:crypto";
import {
  ed25519FromSeed,
  generateEd25519,
  publicKeyFromRaw,
  signBytes,
  verifyBytes,
  type Ed25519KeyPair,
} from "../../kernel/codec/index.js";
import { LedgerError } from "../errors.js";
import {
  SIG_TYPE_ED25519,
  checkKeyName,
  computeKeyId,
  formatVerifierKey,
  parseVerifierKey,
  type NoteSigner,
  type NoteVerifier,
} from "./note-key.js";

/** Ed25519 signed-note signer (type 0x01) backed by node:crypto KeyObjects. */
export class Ed25519NoteSigner implements NoteSigner {
  readonly keyId: number;

  constructor(readonly name: string, private readonly pair: Ed25519KeyPair) {
    checkKeyName(name);
    this.keyId = computeKeyId(name, SIG_TYPE_ED25519, pair.publicKeyRaw);
  }

  /** A signer with a fresh random key. */
  static generate(name: string): Ed25519NoteSigner {
    return new Ed25519NoteSigner(name, generateEd25519());
  }

  /** A signer whose private key is the 32-byte `seed` (deterministic, for tests and vectors). */
  static fromSeed(name: string, seed: Uint8Array): Ed25519NoteSigner {
    return new Ed25519NoteSigner(name, ed25519FromSeed(seed));
  }

  get publicKey(): Uint8Array {
    return this.pair.publicKeyRaw;
  }

  sign(text: Uint8Array): Uint8Array {
    return signBytes(this.pair.privateKey, text);
  }

  /** The vkey string of this signer's key. */
  verifierKey(): string {
    return formatVerifierKey(this.name, SIG_TYPE_ED25519, this.pair.publicKeyRaw);
  }

  /** The matching verifier. */
  verifier(): Ed25519NoteVerifier {
    return new Ed25519NoteVerifier(this.name, this.pair.publicKeyRaw);
  }
}

/** Verifies Ed25519 signed-note signatures (type 0x01) of one key. */
export class Ed25519NoteVerifier implements NoteVerifier {
  readonly keyId: number;
  private readonly key: KeyObject;

  /** Requires a valid key name and a raw 32-byte Ed25519 public key. */
  constructor(readonly name: string, readonly publicKey: Uint8Array) {
    checkKeyName(name);
    this.key = publicKeyFromRaw(publicKey);
    this.keyId = computeKeyId(name, SIG_TYPE_ED25519, publicKey);
  }

  /** The verifier of a vkey string; throws malformed_note unless it is an Ed25519 (0x01) key. */
  static fromVerifierKey(vkey: string): Ed25519NoteVerifier {
    const parts = parseVerifierKey(vkey);
    if (parts.type !== SIG_TYPE_ED25519 || parts.publicKey.length !== 32) {
      throw new LedgerError("malformed_note", `verifier key type 0x${parts.type.toString(16)} with ${parts.publicKey.length}-byte key is not Ed25519 (0x01, 32 bytes)`);
    }
    return new Ed25519NoteVerifier(parts.name, parts.publicKey);
  }

  verify(text: Uint8Array, signature: Uint8Array): boolean {
    return verifyBytes(this.key, text, signature);
  }

  verifierKey(): string {
    return formatVerifierKey(this.name, SIG_TYPE_ED25519, this.publicKey);
  }
}

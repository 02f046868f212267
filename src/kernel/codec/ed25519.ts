import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
import { OpmError } from "../errors/index.js";
import { contentId } from "./canonical.js";

// DER prefixes of Ed25519 keys (RFC 8410): SPKI for public, PKCS#8 for private.
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** An Ed25519 key pair held as node:crypto KeyObjects (the fast path). */
export interface Ed25519KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Raw 32-byte public key. */
  publicKeyRaw: Uint8Array;
  /** SHA-256 hex of the raw public key. */
  keyId: string;
}

/** A fresh random key pair. */
export function generateEd25519(): Ed25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return keyPairFrom(privateKey, publicKey);
}

/** The key pair whose private key is the 32-byte `seed` (for fixed test keys). */
export function ed25519FromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (seed.length !== 32) throw new OpmError("invalid_argument", `Ed25519 seed must be 32 bytes, got ${seed.length}`);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  return keyPairFrom(privateKey, createPublicKey(privateKey));
}

/** Parses a PKCS#8 PEM private key. */
export function ed25519FromPem(pem: string): Ed25519KeyPair {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new OpmError("invalid_argument", `expected an Ed25519 key, got ${privateKey.asymmetricKeyType ?? "unknown"}`);
  }
  return keyPairFrom(privateKey, createPublicKey(privateKey));
}

/** PKCS#8 PEM of a private key, for files written with mode 0600. */
export function ed25519ToPem(pair: Ed25519KeyPair): string {
  return pair.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
}

/** A public KeyObject from a raw 32-byte key; throws invalid_argument naming `field`. */
export function publicKeyFromRaw(raw: Uint8Array, field = "public_key"): KeyObject {
  if (raw.length !== 32) {
    throw new OpmError("invalid_argument", `field \`${field}\`: Ed25519 public key must be 32 bytes, got ${raw.length}`, { field });
  }
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

/** SHA-256 hex of a raw public key: how keys are named in signatures and admissions. */
export function keyIdOf(raw: Uint8Array): string {
  return contentId(raw);
}

/** Ed25519 signature of `message`. */
export function signBytes(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  return sign(null, message, privateKey);
}

/** True when `signature` is a valid Ed25519 signature of `message` by `publicKey`. */
export function verifyBytes(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  return verify(null, message, publicKey, signature);
}

/** The raw 32-byte key of an Ed25519 public KeyObject. */
export function rawPublicKey(publicKey: KeyObject): Uint8Array {
  return new Uint8Array(publicKey.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length));
}

function keyPairFrom(privateKey: KeyObject, publicKey: KeyObject): Ed25519KeyPair {
  const publicKeyRaw = rawPublicKey(publicKey);
  return { privateKey, publicKey, publicKeyRaw, keyId: keyIdOf(publicKeyRaw) };
}

import { randomBytes, randomUUID } from "node:crypto";
import { contentId, pae } from "../codec/index.js";

/** Metadata keys of a signed request. */
export const AUTH_METADATA = {
  nonce: "opm-nonce",
  timestamp: "opm-timestamp",
  idempotencyKey: "opm-idempotency-key",
  signature: "opm-signature",
} as const;

/** The error code of a failed call travels in this trailing metadata key. */
export const ERROR_CODE_METADATA = "opm-error-code";

/** What a signed request carries besides its body. */
export interface RequestAuth {
  nonce: string;
  /** Unix milliseconds when the client signed. */
  timestampMs: number;
  idempotencyKey: string;
  signature: Uint8Array;
}

/** Everything a request signature covers. */
export interface SignedRequestFields {
  /** Calling actor's name (its client certificate CN). */
  actor: string;
  /** Full gRPC method path, e.g. `/openpassmarket.v1.RegistryService/SubmitSignal`. */
  method: string;
  nonce: string;
  timestampMs: number;
  idempotencyKey: string;
  /** SHA-256 hex of the request's serialized bytes. */
  bodyDigest: string;
}

const encoder = new TextEncoder();

/**
 * The bytes a request signature covers. Binding actor, method and body digest means a
 * captured signature cannot be moved to another caller, another RPC or another body;
 * nonce and timestamp bound replays in time; the idempotency key is signed so a replayer
 * cannot make a retried request look like a new one.
 */
export function requestSigningPayload(f: SignedRequestFields): Uint8Array {
  const text = [f.actor, f.method, f.nonce, String(f.timestampMs), f.idempotencyKey, f.bodyDigest].join("\n");
  return pae("openpassmarket.v1.Request", encoder.encode(text));
}

/** A fresh 128-bit random nonce, hex. */
export function newNonce(): string {
  return randomBytes(16).toString("hex");
}

/** A fresh idempotency key. */
export function newIdempotencyKey(): string {
  return randomUUID();
}

/** SHA-256 hex of a request body. */
export function bodyDigest(body: Uint8Array): string {
  return contentId(body);
}

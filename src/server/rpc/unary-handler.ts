import { fromBinary, toBinary, type DescMessage, type DescMethod, type MessageShape } from "@bufbuild/protobuf";
import type { handleUnaryCall, Metadata, ServerUnaryCall } from "@grpc/grpc-js";
import type { Kysely } from "kysely";
import { randomUUID, type KeyObject } from "node:crypto";
import type { SignatureVerifier } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import type { Logger } from "../../kernel/logger/index.js";
import type { Database } from "../storage/index.js";
import { createCallContext, type CallContext } from "./call-context.js";
import type { CommitGroup } from "./commit-group.js";
import { toServiceError } from "../../kernel/wire/error-mapping.js";
import { AUTH_METADATA, bodyDigest, requestSigningPayload, type RequestAuth } from "../../kernel/wire/request-auth.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { AccessPolicy } from "./access-policy.js";
import { methodPath } from "../../kernel/wire/service-definition.js";

/** How one RPC is served. */
export interface MethodImpl<I extends DescMessage, O extends DescMessage> {
  /** State-changing: needs a signed request and runs in one transaction with its audit events. */
  mutates: boolean;
  /** May share its commit group's time with its neighbours (see `SignedCall.sideBySide`). */
  sideBySide?: boolean;
  /** The key that must have signed the request; default: the caller's registered key. */
  signerKey?: (actor: string, request: MessageShape<I>) => Promise<KeyObject>;
  handle(ctx: CallContext, request: MessageShape<I>): Promise<MessageShape<O>>;
}

/** Shared machinery every handler uses. */
export interface HandlerEnv {
  db: Kysely<Database>;
  /** Where state-changing calls are committed (group commit). */
  commits: CommitGroup;
  /** Checks request signatures (a worker pool on the node). */
  verifier: SignatureVerifier;
  log: Logger;
  limiter: RateLimiter;
  /** The registered key of an actor; throws unauthenticated when there is none. */
  keyOf(actor: string): Promise<KeyObject>;
  /** Accepted clock skew of a request timestamp, ms. */
  timestampWindowMs: number;
  now?: () => number;
  /** Who may call what (the access table); none: the certificate and the handlers' own checks only. */
  access?: AccessPolicy;
}

/**
 * Wraps a domain handler into a grpc-js unary handler: caller identity from the mTLS
 * certificate, per-identity rate limit, strict parsing, and for state-changing calls the
 * request signature and timestamp window; then the commit group runs the nonce replay
 * check and idempotency in the transaction that also holds the change and its audit
 * events, so a call either happens entirely (and is durable before the reply) or not at all.
 */
export function unaryHandler<I extends DescMessage, O extends DescMethod["output"]>(
  method: DescMethod & { input: I; output: O },
  impl: MethodImpl<I, O>,
  env: HandlerEnv,
): handleUnaryCall<Buffer, MessageShape<O>> {
  const path = methodPath(method);
  const clock = env.now ?? Date.now;
  return (call, callback) => {
    const correlationId = call.metadata.get(AUTH_METADATA.idempotencyKey)[0]?.toString() || randomUUID();
    serve(call)
      .then((response) => callback(null, response))
      .catch((err: unknown) => {
        // A refusal the domain code chose (not found, denied, invalid, …) is one line; only an
        // unexpected error is logged with its stack and cause.
        if (err instanceof OpmError && err.code !== "internal") env.log.info("call failed", { method: path, correlationId, code: err.code, message: err.message });
        else env.log.error("call failed", { method: path, correlationId, code: "internal", error: err });
        callback(toServiceError(err, correlationId, () => undefined));
      });

    async function serve(call: ServerUnaryCall<Buffer, unknown>): Promise<MessageShape<O>> {
      const peer = peerOf(call);
      const actor = peer.name;
      if (!env.limiter.tryTake(actor)) throw new OpmError("resource_exhausted", `rate limit exceeded for ${actor}`);
      const bytes = call.request;
      const request = parseRequest(method.input, bytes);
      const requestDigest = bodyDigest(bytes);
      const now = clock();
      if (!impl.mutates) {
        const ctx = createCallContext(env.db, { actor: peer.name, certificateFingerprint: peer.fingerprint, method: path, correlationId, requestDigest, now });
        if (env.access === undefined) return impl.handle(ctx, request);
        await env.access.authorize(ctx, path, request);
        return env.access.filter(ctx, path, await impl.handle(ctx, request));
      }
      const auth = readAuth(call.metadata);
      if (Math.abs(now - auth.timestampMs) > env.timestampWindowMs) {
        throw new OpmError("stale_timestamp", `request timestamp ${auth.timestampMs} is ${now - auth.timestampMs} ms from server time; accepted window is ±${env.timestampWindowMs} ms`);
      }
      const key = impl.signerKey ? await impl.signerKey(actor, request) : await env.keyOf(actor);
      const payload = requestSigningPayload({ actor, method: path, nonce: auth.nonce, timestampMs: auth.timestampMs, idempotencyKey: auth.idempotencyKey, bodyDigest: requestDigest });
      if (!(await env.verifier.verify(key, payload, auth.signature))) {
        throw new OpmError("unauthenticated", `request signature does not verify with the key of ${actor}`);
      }
      // Authorised outside the commit group: a refusal is audited and the group never sees the call.
      await env.access?.authorize(createCallContext(env.db, { actor, certificateFingerprint: peer.fingerprint, method: path, correlationId: auth.idempotencyKey, requestDigest, now }), path, request);
      return env.commits.submit({
        fields: { actor, certificateFingerprint: peer.fingerprint, method: path, correlationId: auth.idempotencyKey, requestDigest, now },
        nonce: auth.nonce,
        idempotencyKey: auth.idempotencyKey,
        handle: (ctx) => impl.handle(ctx, request),
        sideBySide: impl.sideBySide,
        encode: (response) => toBinary(method.output, response),
        decode: (stored) => fromBinary(method.output, stored) as MessageShape<O>,
      });
    }
  };
}

function peerOf(call: ServerUnaryCall<unknown, unknown>): { name: string; fingerprint: string } {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  const cn = cert?.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (typeof name !== "string" || name === "") throw new OpmError("unauthenticated", "no client certificate with a common name");
  return { name, fingerprint: cert?.fingerprint256 ?? "" };
}

function parseRequest<I extends DescMessage>(schema: I, bytes: Buffer): MessageShape<I> {
  try {
    return fromBinary(schema, bytes, { readUnknownFields: false });
  } catch (err) {
    throw new OpmError("malformed_message", `request is not a valid ${schema.typeName}: ${(err as Error).message}`, { cause: err });
  }
}

const NONCE = /^[0-9a-f]{32,64}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

function readAuth(metadata: Metadata): RequestAuth {
  const text = (key: string): string => {
    const value = metadata.get(key)[0];
    if (value === undefined || value === "") throw new OpmError("unauthenticated", `missing request metadata \`${key}\` (state-changing calls must be signed)`);
    return value.toString();
  };
  const nonce = text(AUTH_METADATA.nonce);
  if (!NONCE.test(nonce)) throw new OpmError("unauthenticated", `metadata \`${AUTH_METADATA.nonce}\`: ${JSON.stringify(nonce)} is not 32–64 lowercase hex digits`);
  const timestampText = text(AUTH_METADATA.timestamp);
  const timestampMs = Number(timestampText);
  if (!/^\d{1,16}$/.test(timestampText) || !Number.isSafeInteger(timestampMs)) {
    throw new OpmError("unauthenticated", `metadata \`${AUTH_METADATA.timestamp}\`: ${JSON.stringify(timestampText)} is not unix milliseconds`);
  }
  const idempotencyKey = text(AUTH_METADATA.idempotencyKey);
  if (!IDEMPOTENCY_KEY.test(idempotencyKey)) throw new OpmError("unauthenticated", `metadata \`${AUTH_METADATA.idempotencyKey}\`: must be 8–128 chars of [A-Za-z0-9._:-]`);
  const signature = Buffer.from(text(AUTH_METADATA.signature), "base64");
  if (signature.length !== 64) throw new OpmError("unauthenticated", `metadata \`${AUTH_METADATA.signature}\`: expected a base64 64-byte Ed25519 signature, got ${signature.length} bytes`);
  return { nonce, timestampMs, idempotencyKey, signature };
}

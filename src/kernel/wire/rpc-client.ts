import { create, fromBinary, toBinary, type DescMethod, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { signBytes } from "../codec/index.js";
import type { Identity } from "../pki/index.js";
import { fromServiceError } from "./error-mapping.js";
import { AUTH_METADATA, bodyDigest, newIdempotencyKey, newNonce, requestSigningPayload } from "./request-auth.js";
import { methodPath } from "./service-definition.js";

export interface CallOptions {
  /** Reuse a key to retry a call safely; a fresh one is made otherwise. */
  idempotencyKey?: string;
  /** Per-call deadline, ms from now. */
  deadlineMs?: number;
}

/** A typed client: one async method per RPC, each signed with the caller's Ed25519 key. */
export type RpcClient<M extends GenServiceMethods> = {
  [K in keyof M]: (request: MessageInitShape<M[K]["input"]>, options?: CallOptions) => Promise<MessageShape<M[K]["output"]>>;
} & { close(): void; readonly grpc: Client };

export interface RpcClientOptions {
  /** `host:port` of the server. */
  address: string;
  identity: Identity;
  /** Default per-call deadline (30 s). */
  deadlineMs?: number;
  /** Overrides the TLS server name when connecting by an address the certificate lacks. */
  serverName?: string;
  maxMessageBytes?: number;
}

/**
 * Connects to `service` over mutual TLS as `identity`. Every call is signed (actor,
 * method, nonce, timestamp, idempotency key, body digest); a failed call rejects with an
 * OpmError carrying the server's error code.
 */
export function createRpcClient<M extends GenServiceMethods>(service: GenService<M>, options: RpcClientOptions): RpcClient<M> {
  const { identity } = options;
  const channelOptions: Record<string, string | number> = {
    "grpc.max_receive_message_length": options.maxMessageBytes ?? 64 * 1024 * 1024,
    "grpc.max_send_message_length": options.maxMessageBytes ?? 64 * 1024 * 1024,
  };
  if (options.serverName !== undefined) channelOptions["grpc.ssl_target_name_override"] = options.serverName;
  const client = new Client(
    options.address,
    credentials.createSsl(Buffer.from(identity.caPem), Buffer.from(identity.tls.keyPem), Buffer.from(identity.tls.certPem)),
    channelOptions,
  );
  const methods: Record<string, unknown> = { close: () => client.close(), grpc: client };
  for (const method of service.methods as DescMethod[]) {
    const path = methodPath(method);
    methods[method.localName] = (init: never, callOptions: CallOptions = {}) => {
      const body = toBinary(method.input, create(method.input, init));
      return callUnary(client, path, body, signedMetadata(identity, path, body, callOptions.idempotencyKey), method,
        Date.now() + (callOptions.deadlineMs ?? options.deadlineMs ?? 30_000));
    };
  }
  return methods as RpcClient<M>;
}

/** Metadata of a signed call (exported for tests that tamper with it). */
export function signedMetadata(identity: Identity, path: string, body: Uint8Array, idempotencyKey = newIdempotencyKey(), fields: { nonce?: string; timestampMs?: number } = {}): Metadata {
  const nonce = fields.nonce ?? newNonce();
  const timestampMs = fields.timestampMs ?? Date.now();
  const payload = requestSigningPayload({ actor: identity.name, method: path, nonce, timestampMs, idempotencyKey, bodyDigest: bodyDigest(body) });
  const metadata = new Metadata();
  metadata.set(AUTH_METADATA.nonce, nonce);
  metadata.set(AUTH_METADATA.timestamp, String(timestampMs));
  metadata.set(AUTH_METADATA.idempotencyKey, idempotencyKey);
  metadata.set(AUTH_METADATA.signature, Buffer.from(signBytes(identity.keys.privateKey, payload)).toString("base64"));
  return metadata;
}

/** Sends already-serialized request bytes; resolves with the parsed response. */
export function callUnary<O extends DescMethod["output"]>(
  client: Client, path: string, body: Uint8Array, metadata: Metadata, method: { output: O }, deadline: number,
): Promise<MessageShape<O>> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (bytes: Uint8Array) => Buffer.from(bytes),
      (buffer: Buffer) => fromBinary(method.output, buffer),
      body,
      metadata,
      { deadline },
      (err: ServiceError | null, response?: MessageShape<O>) => (err ? reject(fromServiceError(err)) : resolve(response as MessageShape<O>)),
    );
  });
}

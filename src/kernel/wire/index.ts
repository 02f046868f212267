export { toServiceError, fromServiceError } from "./error-mapping.js";
export { AUTH_METADATA, ERROR_CODE_METADATA, requestSigningPayload, newNonce, newIdempotencyKey, bodyDigest } from "./request-auth.js";
export type { RequestAuth, SignedRequestFields } from "./request-auth.js";
export { createRpcClient, signedMetadata, callUnary } from "./rpc-client.js";
export type { RpcClient, RpcClientOptions, CallOptions } from "./rpc-client.js";
export { methodPath, serverDefinition } from "./service-definition.js";

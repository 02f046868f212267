import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { GRPC_STATUS_OF, OpmError, isOpmError, type ErrorCode } from "../errors/index.js";
import { ERROR_CODE_METADATA } from "./request-auth.js";

/**
 * Turns anything thrown by a handler into the gRPC error sent to the client. An OpmError
 * keeps its message (written for the caller) and its code travels in metadata; anything
 * else is a bug: the client gets INTERNAL with a correlation id, the cause is logged.
 */
export function toServiceError(err: unknown, correlationId: string, log: (e: unknown) => void): Partial<ServiceError> {
  const metadata = new Metadata();
  if (isOpmError(err)) {
    metadata.set(ERROR_CODE_METADATA, err.code);
    return { code: GRPC_STATUS_OF[err.code], details: err.message, metadata };
  }
  log(err);
  metadata.set(ERROR_CODE_METADATA, "internal");
  return { code: status.INTERNAL, details: `internal error (correlation id ${correlationId})`, metadata };
}

/** The OpmError a client sees for a failed call (code from metadata, else from status). */
export function fromServiceError(err: ServiceError): OpmError {
  const fromMetadata = err.metadata?.get(ERROR_CODE_METADATA)[0];
  const code: ErrorCode =
    typeof fromMetadata === "string" && fromMetadata in GRPC_STATUS_OF ? (fromMetadata as ErrorCode) : codeOfStatus(err.code);
  return new OpmError(code, err.details || err.message, { cause: err });
}

function codeOfStatus(s: status): ErrorCode {
  switch (s) {
    case status.INVALID_ARGUMENT: return "invalid_argument";
    case status.UNAUTHENTICATED: return "unauthenticated";
    case status.PERMISSION_DENIED: return "permission_denied";
    case status.NOT_FOUND: return "not_found";
    case status.ALREADY_EXISTS: return "already_exists";
    case status.FAILED_PRECONDITION: return "failed_precondition";
    case status.RESOURCE_EXHAUSTED: return "resource_exhausted";
    case status.DEADLINE_EXCEEDED: return "deadline_exceeded";
    case status.UNAVAILABLE: return "unavailable";
    default: return "internal";
  }
}

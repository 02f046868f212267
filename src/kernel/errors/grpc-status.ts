import { status } from "@grpc/grpc-js";
import { type ErrorCode } from "./opm-error.js";

/** The one exhaustive table from error code to gRPC status; tested code by code. */
export const GRPC_STATUS_OF: Readonly<Record<ErrorCode, status>> = {
  invalid_argument: status.INVALID_ARGUMENT,
  malformed_message: status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  nonce_replayed: status.UNAUTHENTICATED,
  stale_timestamp: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
  not_found: status.NOT_FOUND,
  already_exists: status.ALREADY_EXISTS,
  failed_precondition: status.FAILED_PRECONDITION,
  resource_exhausted: status.RESOURCE_EXHAUSTED,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  tool_missing: status.FAILED_PRECONDITION,
  compiler_failed: status.ABORTED,
  verification_failed: status.FAILED_PRECONDITION,
  verification_undecided: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  internal: status.INTERNAL,
};

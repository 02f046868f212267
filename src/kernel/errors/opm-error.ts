/**
 * The one error type of OpenPassMarket. Every failure that can reach a user is an
 * `OpmError` with a code from `ErrorCode`; the RPC boundary maps the code to a gRPC
 * status through the single table in `grpc-status.ts`, and the CLI maps it to an exit
 * code. Messages name the offending field and value; `cause` is logged, never sent.
 */
export const ERROR_CODES = [
  /** A request field is missing, malformed or out of range. */
  "invalid_argument",
  /** The request's bytes are not a valid protobuf message. */
  "malformed_message",
  /** No or unknown caller identity, or a bad request signature. */
  "unauthenticated",
  /** The request's nonce was already used by this caller. */
  "nonce_replayed",
  /** The request's timestamp is outside the accepted window. */
  "stale_timestamp",
  /** The caller is known but not allowed to do this (not admitted, revoked, wrong owner). */
  "permission_denied",
  /** A referenced object does not exist. */
  "not_found",
  /** The object exists already with different content. */
  "already_exists",
  /** The system is not in a state that allows the request (breaking contract change, stale lease…). */
  "failed_precondition",
  /** A rate limit, size limit or privacy budget is exhausted. */
  "resource_exhausted",
  /** The operation ran past its deadline. */
  "deadline_exceeded",
  /** A compiler or tool that the operation needs is not installed. */
  "tool_missing",
  /** A compiler crashed, timed out or rejected its input. */
  "compiler_failed",
  /** A transform was refused by the verifier. */
  "verification_failed",
  /**
   * The verifier could not decide a transform (the runs did not exercise what it changed,
   * the reference has undefined behaviour…): it is not a result, and not evidence of a lie.
   */
  "verification_undecided",
  /** Storage is unreachable or a transaction could not be committed. */
  "unavailable",
  /** A bug: an invariant of our own code did not hold. */
  "internal",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface OpmErrorOptions {
  /** Underlying error, for logs only. */
  cause?: unknown;
  /** The request field at fault, as a dotted path (`problem.objective`). */
  field?: string;
  /** Extra diagnostic output such as a compiler's stderr (kept short). */
  detail?: string;
}

export class OpmError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, message: string, options: OpmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "OpmError";
    this.code = code;
    this.field = options.field;
    this.detail = options.detail;
  }
}

/** `field \`path\`: message` — an INVALID_ARGUMENT that names the field. */
export function invalidArgument(field: string, message: string): OpmError {
  return new OpmError("invalid_argument", `field \`${field}\`: ${message}`, { field });
}

/** True when `err` is an OpmError, optionally with the given code. */
export function isOpmError(err: unknown, code?: ErrorCode): err is OpmError {
  return err instanceof OpmError && (code === undefined || err.code === code);
}

import { OpmError, type ErrorCode } from "../../kernel/errors/index.js";

/**
 * Why a delta log was refused, finer than the gRPC-level code: tests and the CLI match on
 * `reason`, the RPC boundary and exit codes use `code`.
 */
export type DeltaErrorReason =
  | "malformed_batch"
  | "oversized_batch"
  | "bad_signature"
  | "unknown_key"
  | "mix_and_match"
  | "gap"
  | "bad_chain"
  | "rollback"
  | "split_view"
  | "frozen"
  | "root_mismatch"
  | "malformed_export"
  | "peer_not_admitted";

const CODE_OF: Record<DeltaErrorReason, ErrorCode> = {
  malformed_batch: "invalid_argument",
  oversized_batch: "resource_exhausted",
  bad_signature: "verification_failed",
  unknown_key: "permission_denied",
  mix_and_match: "verification_failed",
  gap: "failed_precondition",
  bad_chain: "verification_failed",
  rollback: "failed_precondition",
  split_view: "failed_precondition",
  frozen: "failed_precondition",
  root_mismatch: "verification_failed",
  malformed_export: "invalid_argument",
  peer_not_admitted: "permission_denied",
};

/** Every refusal of the delta-log verifier: an OpmError with a `reason` and the batch at fault. */
export class DeltaError extends OpmError {
  readonly reason: DeltaErrorReason;
  readonly sequence: bigint | undefined;

  constructor(reason: DeltaErrorReason, message: string, options: { sequence?: bigint; cause?: unknown } = {}) {
    super(CODE_OF[reason], message, { cause: options.cause });
    this.name = "DeltaError";
    this.reason = reason;
    this.sequence = options.sequence;
  }
}

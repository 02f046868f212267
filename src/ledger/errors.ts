import { OpmError, type ErrorCode } from "../kernel/errors/index.js";
import { toHex } from "./bytes.js";

/**
 * Why a ledger operation failed, finer than the gRPC-level `ErrorCode`: tests and the
 * CLI match on `reason`, the RPC boundary maps `code`.
 */
export type LedgerErrorReason =
  | "bad_argument"
  | "bad_proof"
  | "root_mismatch"
  | "malformed_note"
  | "malformed_checkpoint"
  | "bad_signature"
  | "unknown_key"
  | "rollback"
  | "split_view"
  | "inconsistent_checkpoint"
  | "malformed_entry"
  | "bad_chain"
  | "threshold_not_met"
  | "invalid_transition"
  | "malformed_export";

const CODE_OF: Record<LedgerErrorReason, ErrorCode> = {
  bad_argument: "invalid_argument",
  bad_proof: "verification_failed",
  root_mismatch: "verification_failed",
  malformed_note: "invalid_argument",
  malformed_checkpoint: "invalid_argument",
  bad_signature: "verification_failed",
  unknown_key: "verification_failed",
  rollback: "failed_precondition",
  split_view: "failed_precondition",
  inconsistent_checkpoint: "internal",
  malformed_entry: "invalid_argument",
  bad_chain: "failed_precondition",
  threshold_not_met: "permission_denied",
  invalid_transition: "failed_precondition",
  malformed_export: "invalid_argument",
};

/** Options of a LedgerError: the index of the entry at fault, when there is one. */
export interface LedgerErrorOptions {
  entryIndex?: bigint;
  field?: string;
  cause?: unknown;
}

/** Every failure of the ledger library: an OpmError with a ledger-specific `reason`. */
export class LedgerError extends OpmError {
  readonly reason: LedgerErrorReason;
  readonly entryIndex: bigint | undefined;

  constructor(reason: LedgerErrorReason, message: string, options: LedgerErrorOptions = {}) {
    super(CODE_OF[reason], message, { field: options.field, cause: options.cause });
    this.name = "LedgerError";
    this.reason = reason;
    this.entryIndex = options.entryIndex;
  }
}

/** A recomputed root differs from the expected one; carries both values. */
export class RootMismatchError extends LedgerError {
  readonly expected: Uint8Array;
  readonly calculated: Uint8Array;

  constructor(expected: Uint8Array, calculated: Uint8Array, context = "root") {
    super("root_mismatch", `${context} mismatch: calculated ${toHex(calculated)}, expected ${toHex(expected)}`);
    this.name = "RootMismatchError";
    this.expected = expected;
    this.calculated = calculated;
  }
}

/** Shorthand for an invalid-argument LedgerError. */
export function badArgument(message: string, field?: string): LedgerError {
  return new LedgerError("bad_argument", message, field === undefined ? {} : { field });
}

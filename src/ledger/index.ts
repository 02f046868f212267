/**
 * The governance ledger: an RFC 6962 / 9162 Merkle log of typed governance entries,
 * effective only with k-of-n governor approvals, with C2SP signed checkpoints and
 * witness cosignatures, and an offline-verifiable export. Usable on its own, offline.
 */
export * from "./merkle/index.js";
export * from "./checkpoint/index.js";
export * from "./governance/index.js";
export * from "./log/index.js";
export { LedgerError, RootMismatchError } from "./errors.js";
export type { LedgerErrorOptions, LedgerErrorReason } from "./errors.js";
export * from "./delta/index.js";

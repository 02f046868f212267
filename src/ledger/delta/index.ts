/**
 * The delta log: signed, sequenced, hash-chained batches of one registry node's state
 * changes, committed to by C2SP checkpoints over the ledger's RFC 6962 Merkle hashing.
 * Pure: building and opening batches, the reader's trust state (rollback, split view,
 * freeze, gap, mix-and-match), the state fold and its root, the export format.
 */
export { DELTA_BATCH_TYPE, MAX_BATCH_BYTES, MAX_BATCH_CHANGES, ZERO_HASH, openDeltaBatch, signDeltaBatch } from "./delta-batch.js";
export type { OpenedBatch } from "./delta-batch.js";
export { deltaNoteSigner, deltaOrigin, openDeltaCheckpoint, signDeltaCheckpoint } from "./delta-checkpoint.js";
export type { DeltaCheckpoint } from "./delta-checkpoint.js";
export { DeltaError } from "./delta-error.js";
export type { DeltaErrorReason } from "./delta-error.js";
export { acceptDeltaBatches, acceptDeltaCheckpoint, newDeltaTrust, rootOfFrontier } from "./delta-trust.js";
export type { DeltaTrust, FreshnessPolicy } from "./delta-trust.js";
export { DeltaState, stateLeafBytes, stateRoot } from "./delta-state.js";
export type { StateLeaf, StateValue } from "./delta-state.js";
export {
  DELTA_EXPORT_FIELD,
  DELTA_EXPORT_FORMAT,
  deltaExportBatches,
  deltaExportCheckpoint,
  deltaExportHeader,
  replayDeltaExport,
} from "./delta-export.js";
export type { ReplayedLog } from "./delta-export.js";
export { ReplayedSignatureChecks, verifyReplayedObjects } from "./verify-replayed.js";
export type { ReplayedSignatures } from "./verify-replayed.js";

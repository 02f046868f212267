/**
 * Delta-sync between registry nodes: the batcher that derives this node's delta log from
 * what it committed, the SyncService that serves it, and the puller that verifies and
 * applies a peer's log (the pure verification is `src/ledger/delta`).
 */
export { DeltaBatcher, BATCH_CHANGES } from "./delta-batcher.js";
export { collectChanges, DELTA_KINDS } from "./delta-collector.js";
export type { Candidate, DeltaKind } from "./delta-collector.js";
export { pullDeltas } from "./delta-puller.js";
export type { DeltaSource, PullPolicy, PullResult } from "./delta-puller.js";
export { startDeltaSync } from "./delta-sync.js";
export type { DeltaSync, DeltaSyncOptions, PeerConfig, PullFailure } from "./delta-sync.js";
export { PgPeerStore, frontierFromJson, frontierToJson } from "./peer-store.js";
export type { PeerStore } from "./peer-store.js";
export { stateRoots } from "./state-roots.js";
export { syncImplementation, syncMethods } from "./sync-service.js";
export { problemSyncView, SYNC_CALLER } from "./sync-view.js";
export type { ProblemSyncView } from "./sync-view.js";
export { FilePeerStore } from "./file-peer-store.js";
export { LedgerPeerAdmission, OPERATOR_PEERS } from "./peer-admission.js";
export type { PeerAdmissionMode, PeerAuthority } from "./peer-admission.js";

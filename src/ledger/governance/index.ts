export { approvalCount } from "./approvals.js";
export type { GovernorSet } from "./approvals.js";
export {
  ENTRY_PAYLOAD_TYPE,
  decodeEntry,
  decodeSignedEntry,
  encodeEntry,
  encodeSignedEntry,
  entryLeafHash,
  entrySigningPayload,
  makeSignedEntry,
  signEntry,
} from "./entry-codec.js";
export { GovernanceState } from "./governance-state.js";
export type { AdmittedAdapter, AdmittedPeer, ApprovalTally } from "./governance-state.js";
export { governorSetFrom } from "./governor-set.js";
export { Proposal } from "./proposal.js";
export type { EntryKind } from "./proposal.js";

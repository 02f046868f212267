/**
 * The registry's privacy store: budgets, charges and releases in PostgreSQL, with the one
 * transactional path that charges a budget and makes a release (`chargeAndRelease`). The
 * mechanisms, accountants and filter it applies are the pure `src/privacy`.
 */
export { chargeAndRelease } from "./budget-store.js";
export type { ReleaseOutcome, ReleaseRequest } from "./budget-store.js";
export { listCharges, listReleases, readPrivacyBudget, readRelease, spentInPeriod } from "./privacy-repository.js";
export type { PrivacyCharge, PrivacyRelease } from "./privacy-repository.js";
export { DEFAULT_RELEASE_POLICY, IMPROVEMENT_BP, describePolicy, mechanismOf, periodStartOf, policyFromUpdate, releasePolicyFor } from "./release-policy.js";
export type { ReleasePolicy } from "./release-policy.js";
export { familyOf, getPrivacyBudget, improvementBp, ledgerReleasePolicies, listReleasesRpc, releaseResult, releaseToProto } from "./release-result.js";
export type { ReleasePolicies } from "./release-result.js";

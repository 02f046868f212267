/**
 * The registry's privacy store: budgets, charges and releases in PostgreSQL, with the one
 * transactional path that charges a budget and makes a release (`chargeAndRelease`). The
 * mechanisms, accountants and filter it applies are the pure `src/privacy`.
 */
export { chargeAndRelease } from "./budget-store.js";
export type { ReleaseOutcome, ReleaseRequest } from "./budget-store.js";
export { listCharges, listReleases, readPrivacyBudget, readRelease } from "./privacy-repository.js";
export type { PrivacyCharge, PrivacyRelease } from "./privacy-repository.js";

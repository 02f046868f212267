export { GovernedAdmission } from "./governed-admission.js";
export type { AdmissionMode } from "./governed-admission.js";
export { LedgerAdmission } from "./ledger-admission.js";
export { ledgerImplementation, ledgerMethods } from "./ledger-service.js";
export type { LedgerDeps } from "./ledger-service.js";
export { PgLedgerStore } from "./pg-ledger-store.js";
export { PgTreeStore } from "./pg-tree-store.js";
export { RegistryLedger, ledgerOrigin } from "./registry-ledger.js";
export type { LedgerAppend } from "./registry-ledger.js";

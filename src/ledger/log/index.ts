export { EXPORT_FORMAT, ExportWriter, readExportRecords } from "./export-format.js";
export { Ledger } from "./ledger.js";
export type { AppendResult, EntryInclusionProof, LedgerOptions } from "./ledger.js";
export { MemoryLedgerStore } from "./ledger-store.js";
export type { LedgerStore } from "./ledger-store.js";
export { verifyExport } from "./verify-export.js";
export type { VerifiedExport, VerifyExportOptions } from "./verify-export.js";

export type * from "./database.js";
export { openDatabase, migrateToLatest } from "./open-database.js";
export type { OpenDatabase, OpenDatabaseOptions } from "./open-database.js";
export { PGliteDialect } from "./pglite-dialect.js";
export { insertBatched } from "./insert-batched.js";
export type { ContentAddressedTable } from "./insert-batched.js";

export type * from "./database.js";
export { openDatabase, migrateToLatest } from "./open-database.js";
export type { OpenDatabase, OpenDatabaseOptions } from "./open-database.js";
export { PGliteDialect } from "./pglite-dialect.js";

import type { Migration } from "kysely";
import { migration0001 } from "./0001-initial.js";

/**
 * Every migration, by name, in order. A migration never changes once it has landed:
 * add a new numbered file instead.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001-initial": migration0001,
};

import type { Migration } from "kysely";
import { migration0001 } from "./0001-initial.js";
import { migration0002 } from "./0002-jobs.js";
import { migration0003 } from "./0003-ledger.js";
import { migration0004 } from "./0004-spot-checks.js";
import { migration0005 } from "./0005-market-signals.js";
import { migration0006 } from "./0006-privacy.js";
import { migration0007 } from "./0007-members.js";
import { migration0008 } from "./0008-delta-log.js";
import { migration0009 } from "./0009-campaigns.js";
import { migration0010 } from "./0010-plan-sets.js";
import { migration0011 } from "./0011-campaign-market-cursor.js";

/**
 * Every migration, by name, in order. A migration never changes once it has landed:
 * add a new numbered file instead.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  "0001-initial": migration0001,
  "0002-jobs": migration0002,
  "0003-ledger": migration0003,
  "0004-spot-checks": migration0004,
  "0005-market-signals": migration0005,
  "0006-privacy": migration0006,
  "0007-members": migration0007,
  "0008-delta-log": migration0008,
  "0009-campaigns": migration0009,
  "0010-plan-sets": migration0010,
  "0011-campaign-market-cursor": migration0011,
};

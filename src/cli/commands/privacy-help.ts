export { formatAmount, measureOf, parseAccountant } from "../../privacy/index.js";

/** What the roles mean, for `opm member --help`. */
export const ROLES_HELP = [
  "An organisation (a participant) has member actors in roles:",
  "  lead    manages membership and the use of the organisation's privacy budgets (releases)",
  "  write   poses problems and runs searches",
  "  read    reads the organisation's exact results (its private problems, signals, jobs)",
  "  audit   reads the organisation's audit events and budget spending",
  "The node operator administers the node; governors act only through the ledger.",
].join("\n");

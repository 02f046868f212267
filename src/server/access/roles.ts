import { OpmError } from "../../kernel/errors/index.js";

/**
 * The roles of a member actor in an organisation (a participant):
 * - `lead` manages membership and the use of the organisation's privacy budgets (releases);
 * - `write` poses problems and runs searches (jobs, discrepancy reports);
 * - `read` reads the organisation's exact results (its private problems, signals, jobs);
 * - `audit` reads the organisation's audit events and budget spending.
 * The participant actor itself holds every role of its own organisation.
 */
export const ROLES = ["lead", "write", "read", "audit"] as const;
export type Role = (typeof ROLES)[number];

/** The role named `text`, or invalid_argument naming `field`. */
export function parseRole(text: string, field = "role"): Role {
  const role = ROLES.find((r) => r === text);
  if (role === undefined) throw new OpmError("invalid_argument", `field \`${field}\`: unknown role ${JSON.stringify(text)} (${ROLES.join(", ")})`, { field });
  return role;
}

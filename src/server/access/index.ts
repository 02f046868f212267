/**
 * Who may call what: organisations (participants) with member actors in roles (`lead`,
 * `write`, `read`, `audit`), and THE access table (method → rule) that `AccessControl`
 * applies at the RPC boundary for every method of the registry, job and ledger services.
 */
export { ACCESS_TABLE, GOVERNED_SERVICES, tableKeyOf } from "./access-table.js";
export type { AccessRule, OrganisationOf } from "./access-table.js";
export { AccessControl, auditScopeOf, mayReadOrganisation, organisationReader } from "./access-control.js";
export type { AuditScope, PeerReaders } from "./access-control.js";
export { DETAIL_WITHOUT_RESULTS, redactAuditEvents } from "./audit-redaction.js";
export { addMember, listMembers, removeMember } from "./members.js";
export { deleteMembership, insertMembership, listMemberships, organisationActors, organisationsWithRole, rolesIn } from "./member-repository.js";
export type { MembershipRow } from "./member-repository.js";
export { ROLES, parseRole } from "./roles.js";
export type { Role } from "./roles.js";

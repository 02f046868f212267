export { createCertificateAuthority, issueCertificate, commonNameOf } from "./certificate-authority.js";
export type { PemPair, LeafKind, LeafRequest } from "./certificate-authority.js";
export { issueIdentity, loadIdentity, writeIdentity, writePrivate, validateActorName } from "./identity.js";
export type { Identity } from "./identity.js";
export { ensureNodePki, loadNodeCa } from "./node-pki.js";
export type { NodePki } from "./node-pki.js";
export { ensureLedgerKey } from "./ledger-key.js";

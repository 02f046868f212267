export { canonicalBytes, contentId, objectId, sha256, signedBytes, unsignedBytes } from "./canonical.js";
export { isCanonicalEncoding, scanCanonical } from "./canonical-scan.js";
export { pae } from "./pae.js";
export {
  ed25519FromPem,
  ed25519FromSeed,
  ed25519ToPem,
  generateEd25519,
  keyIdOf,
  publicKeyFromRaw,
  signBytes,
  verifyBytes,
} from "./ed25519.js";
export type { Ed25519KeyPair } from "./ed25519.js";
export { signObject, signingPayload, verifyObject, verifyObjectWith } from "./signed-object.js";
export { inlineVerifier, VerifyPool } from "./verify-pool.js";
export type { SignatureVerifier } from "./verify-pool.js";

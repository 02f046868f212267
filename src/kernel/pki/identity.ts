import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { ed25519FromPem, ed25519ToPem, generateEd25519, type Ed25519KeyPair } from "../codec/index.js";
import { OpmError } from "../errors/index.js";
import { commonNameOf, issueCertificate, type PemPair } from "./certificate-authority.js";

/**
 * Everything an actor needs to talk to a registry: the CA to trust, its TLS client
 * certificate and key, and its Ed25519 signing key. On disk an identity is a directory:
 * `ca.pem`, `cert.pem`, `key.pem` (0600) and `ed25519.pem` (0600).
 */
export interface Identity {
  name: string;
  caPem: string;
  tls: PemPair;
  keys: Ed25519KeyPair;
}

const FILES = { ca: "ca.pem", cert: "cert.pem", key: "key.pem", ed25519: "ed25519.pem" } as const;

/** Issues a client identity named `name` from `ca` with a fresh Ed25519 key. */
export async function issueIdentity(ca: PemPair, name: string): Promise<Identity> {
  validateActorName(name, "name");
  const tls = await issueCertificate(ca, { name, kind: "client" });
  return { name, caPem: ca.certPem, tls, keys: generateEd25519() };
}

/** Writes `identity` under `dir` (created 0700); private keys get mode 0600. */
export function writeIdentity(dir: string, identity: Identity): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, FILES.ca), identity.caPem);
  writeFileSync(join(dir, FILES.cert), identity.tls.certPem);
  writePrivate(join(dir, FILES.key), identity.tls.keyPem);
  writePrivate(join(dir, FILES.ed25519), ed25519ToPem(identity.keys));
}

/** Reads an identity directory written by `writeIdentity`; the name is the certificate's CN. */
export function loadIdentity(dir: string): Identity {
  for (const file of Object.values(FILES)) {
    if (!existsSync(join(dir, file))) {
      throw new OpmError("invalid_argument", `identity ${dir} has no ${file} (create one with \`opm pki issue\`)`);
    }
  }
  const certPem = readFileSync(join(dir, FILES.cert), "utf8");
  return {
    name: commonNameOf(certPem),
    caPem: readFileSync(join(dir, FILES.ca), "utf8"),
    tls: { certPem, keyPem: readFileSync(join(dir, FILES.key), "utf8") },
    keys: ed25519FromPem(readFileSync(join(dir, FILES.ed25519), "utf8")),
  };
}

/** Writes a file holding a secret with mode 0600 (also when it already existed). */
export function writePrivate(path: string, contents: string): void {
  writeFileSync(path, contents, { mode: 0o600 });
  chmodSync(path, 0o600);
}

const ACTOR_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Actor names: 1–63 chars of `[a-z0-9._-]`, starting alphanumeric. Throws invalid_argument naming `field`. */
export function validateActorName(name: string, field: string): void {
  if (!ACTOR_NAME.test(name)) {
    throw new OpmError("invalid_argument", `field \`${field}\`: actor name ${JSON.stringify(name)} must match ${ACTOR_NAME.source}`, { field });
  }
}

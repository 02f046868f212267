import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createCertificateAuthority, issueCertificate, type PemPair } from "./certificate-authority.js";
import { issueIdentity, loadIdentity, writeIdentity, writePrivate, type Identity } from "./identity.js";

/** The development PKI of one registry node, kept under `<dataDir>/pki`. */
export interface NodePki {
  /** Path of the CA certificate clients must trust. */
  caPath: string;
  ca: PemPair;
  /** The node's TLS server certificate for its listen host. */
  server: PemPair;
  /** The operator identity (kind `admin`), made on first start. */
  admin: Identity;
  adminDir: string;
}

/**
 * Loads the node's PKI, creating on first start a CA, an admin identity, and a server
 * certificate valid for `host` (plus localhost and 127.0.0.1). The server certificate is
 * re-issued when `host` changes. Private keys are written 0600 and never leave the dir.
 */
export async function ensureNodePki(dataDir: string, host: string): Promise<NodePki> {
  const dir = join(dataDir, "pki");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caPath = join(dir, "ca.pem");
  const caKeyPath = join(dir, "ca.key");
  let ca: PemPair;
  if (existsSync(caPath) && existsSync(caKeyPath)) {
    ca = { certPem: readFileSync(caPath, "utf8"), keyPem: readFileSync(caKeyPath, "utf8") };
  } else {
    ca = await createCertificateAuthority(`OpenPassMarket dev CA ${new Date().toISOString()}`);
    writePrivate(caKeyPath, ca.keyPem);
    writeFileSync(caPath, ca.certPem);
  }

  const hosts = [...new Set([host, "localhost", "127.0.0.1", "::1"])].filter((h) => h !== "" && h !== "0.0.0.0" && h !== "::");
  const serverCert = join(dir, "server.pem");
  const serverKey = join(dir, "server.key");
  const hostsFile = join(dir, "server.hosts");
  let server: PemPair;
  if (existsSync(serverCert) && existsSync(serverKey) && existsSync(hostsFile) && readFileSync(hostsFile, "utf8") === hosts.join(",")) {
    server = { certPem: readFileSync(serverCert, "utf8"), keyPem: readFileSync(serverKey, "utf8") };
  } else {
    server = await issueCertificate(ca, { name: "opm-registry", kind: "server", hosts });
    writePrivate(serverKey, server.keyPem);
    writeFileSync(serverCert, server.certPem);
    writeFileSync(hostsFile, hosts.join(","));
  }

  const adminDir = join(dataDir, "identities", "admin");
  let admin: Identity;
  if (existsSync(join(adminDir, "cert.pem"))) {
    admin = loadIdentity(adminDir);
  } else {
    admin = await issueIdentity(ca, "admin");
    writeIdentity(adminDir, admin);
  }
  return { caPath, ca, server, admin, adminDir };
}

/** Reads the CA of a node's data dir (for `opm pki issue`). */
export function loadNodeCa(dataDir: string): PemPair {
  const dir = join(dataDir, "pki");
  return { certPem: readFileSync(join(dir, "ca.pem"), "utf8"), keyPem: readFileSync(join(dir, "ca.key"), "utf8") };
}

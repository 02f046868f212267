import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ed25519FromPem, ed25519ToPem, generateEd25519, type Ed25519KeyPair } from "../codec/index.js";
import { writePrivate } from "./identity.js";

/**
 * The node's governance-ledger checkpoint key (Ed25519), `<dataDir>/pki/ledger-ed25519.pem`
 * (0600), made on first start. It signs the log's checkpoints; losing it means a new
 * log origin, so keep it with the database.
 */
export function ensureLedgerKey(dataDir: string): Ed25519KeyPair {
  const dir = join(dataDir, "pki");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, "ledger-ed25519.pem");
  if (existsSync(path)) return ed25519FromPem(readFileSync(path, "utf8"));
  const pair = generateEd25519();
  writePrivate(path, ed25519ToPem(pair));
  return pair;
}

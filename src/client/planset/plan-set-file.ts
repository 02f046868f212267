import { fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { readFileSync, writeFileSync } from "node:fs";
import { PlanSetSchema, type PlanSet } from "../../gen/openpassmarket/v1/planset_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import { planSetVersion, verifyPlanSet } from "../../kernel/planset/index.js";

/**
 * A signed plan set as a file: the set (protobuf JSON) and the signer's raw Ed25519
 * public key (base64), so it can be checked offline. Which keys to trust is the reader's
 * decision (`readPlanSetFile`'s `trustedKeyIds`).
 */
export interface PlanSetFile {
  planSet: PlanSet;
  publicKey: Uint8Array;
}

/** Writes `set`, which must be signed by `publicKey`'s key, to `path` (JSON). */
export function writePlanSetFile(path: string, set: PlanSet, publicKey: Uint8Array): void {
  verifyPlanSet(set, publicKey);
  const doc = { version: planSetVersion(set), publicKey: Buffer.from(publicKey).toString("base64"), planSet: toJson(PlanSetSchema, set) };
  writeFileSync(path, `${JSON.stringify(doc, null, 1)}\n`);
}

/**
 * Reads a plan set file and checks it: well-formed, signed by the key it carries, that key
 * one of `trustedKeyIds` when given, and its stated version the content id of what it
 * holds. Throws malformed_message for a bad file and unauthenticated for a bad signature
 * or an untrusted key — a tampered plan set is never returned.
 */
export function readPlanSetFile(path: string, trustedKeyIds?: readonly string[]): PlanSetFile & { version: string } {
  let doc: { version?: unknown; publicKey?: unknown; planSet?: unknown };
  let planSet: PlanSet;
  try {
    doc = JSON.parse(readFileSync(path, "utf8")) as typeof doc;
    planSet = fromJson(PlanSetSchema, doc.planSet as JsonValue);
  } catch (err) {
    throw new OpmError("malformed_message", `${path}: not a plan set file: ${(err as Error).message}`, { cause: err });
  }
  if (typeof doc.publicKey !== "string") throw new OpmError("malformed_message", `${path}: field \`publicKey\` missing`, { field: "publicKey" });
  const publicKey = new Uint8Array(Buffer.from(doc.publicKey, "base64"));
  verifyPlanSet(planSet, publicKey, trustedKeyIds);
  const version = planSetVersion(planSet);
  if (doc.version !== version) throw new OpmError("malformed_message", `${path}: states version ${String(doc.version)}, holds ${version}`, { field: "version" });
  return { planSet, publicKey, version };
}

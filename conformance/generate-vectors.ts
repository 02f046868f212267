/**
 * Writes the conformance vectors under conformance/vectors/*.json. The files are output
 * of this program and never edited by hand: `conformance/vectors.test.ts` regenerates
 * them in memory and fails on any difference. Run from the repository root (no tsx or
 * vite-node is installed, so compile the program, then run it):
 *
 *   npx tsc --outDir .tmp/conformance --rootDir . --module nodenext --moduleResolution nodenext \
 *     --target es2022 --skipLibCheck --sourceMap false conformance/generate-vectors.ts \
 *     && node .tmp/conformance/conformance/generate-vectors.js
 *
 * Add `--check` to compare instead of write (exit 1 when a file differs).
 */
import { create, toBinary, toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { canonicalBytes, contentId, objectId, pae, signBytes, signingPayload, unsignedBytes } from "../src/kernel/codec/index.js";
import { DeltaSchema } from "../src/gen/openpassmarket/v1/audit_pb.js";
import { RegistryService, SubmitProblemRequestSchema, SubmitSignalRequestSchema } from "../src/gen/openpassmarket/v1/registry_service_pb.js";
import { PerformanceSignalSchema, PlanDeltaSchema, type PerformanceSignal } from "../src/gen/openpassmarket/v1/signal_pb.js";
import { bodyDigest, methodPath, requestSigningPayload } from "../src/kernel/wire/index.js";
import { FIXED_MS, sampleObjects, SIGNERS, TEST_SEED, testKey, type Sample } from "./sample-objects.js";
import { reverseFieldOrder } from "./wire-records.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const FORMAT = "openpassmarket-conformance-vectors/v1";
const GENERATED_BY = "conformance/generate-vectors.ts (do not edit: regenerate)";

/** The fixed test key as published in every file that carries signatures. */
function testKeyJson() {
  const keys = testKey();
  return {
    warning: "TEST-ONLY KEY: its private seed is public. Never trust a signature by it outside these vectors.",
    algorithm: "Ed25519 (RFC 8032)",
    seed_hex: hex(TEST_SEED),
    public_key_hex: hex(keys.publicKeyRaw),
    key_id: keys.keyId,
  };
}

function objectVector(sample: Sample) {
  const { schema, message } = sample;
  return { name: sample.name, type: schema.typeName, input: toJson(schema, message), canonical_hex: hex(canonicalBytes(schema, message)), id: objectId(schema, message) };
}

function signedVector(sample: Sample) {
  const { schema, message } = sample;
  const sig = (message as { signature?: { signer: string; keyId: string; signature: Uint8Array } }).signature;
  if (sig === undefined) throw new Error(`sample ${sample.name} is not signed`);
  return {
    ...objectVector(sample),
    unsigned_hex: hex(unsignedBytes(schema, message)),
    pae_hex: hex(signingPayload(schema, message)),
    signer: sig.signer,
    key_id: sig.keyId,
    signature_hex: hex(sig.signature),
  };
}

/** The fixed fields of the request-signature vectors. */
function requestVectors(signal: PerformanceSignal, problem: MessageShape<DescMessage>) {
  const keys = testKey();
  const cases = [
    { name: "submit-signal", method: RegistryService.method.submitSignal, body: toBinary(SubmitSignalRequestSchema, create(SubmitSignalRequestSchema, { signal })), nonce: "000102030405060708090a0b0c0d0e0f", idem: "conformance-0001" },
    { name: "submit-problem", method: RegistryService.method.submitProblem, body: toBinary(SubmitProblemRequestSchema, create(SubmitProblemRequestSchema, { problem: problem as never })), nonce: "f".repeat(64), idem: "retry.key:0002_x-y" },
  ];
  return cases.map((c) => {
    const fields = { actor: SIGNERS.adapter, method: methodPath(c.method), nonce: c.nonce, timestampMs: Number(FIXED_MS), idempotencyKey: c.idem, bodyDigest: bodyDigest(c.body) };
    const payload = requestSigningPayload(fields);
    const signature = signBytes(keys.privateKey, payload);
    return {
      name: c.name, actor: fields.actor, method: fields.method, nonce: fields.nonce, timestamp_ms: fields.timestampMs,
      idempotency_key: fields.idempotencyKey, body_type: c.method.input.typeName, body_hex: hex(c.body), body_digest: fields.bodyDigest,
      signed_text: [fields.actor, fields.method, fields.nonce, String(fields.timestampMs), fields.idempotencyKey, fields.bodyDigest].join("\n"),
      payload_hex: hex(payload), signature_hex: hex(signature),
      metadata: { "opm-nonce": fields.nonce, "opm-timestamp": String(fields.timestampMs), "opm-idempotency-key": fields.idempotencyKey, "opm-signature": Buffer.from(signature).toString("base64") },
    };
  });
}

function flipBit(bytes: Uint8Array, byte: number, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[byte] = (out[byte] ?? 0) ^ (1 << bit);
  return out;
}

/** Vectors every implementation must refuse, each named by how a valid input was altered. */
function negativeVectors(signal: PerformanceSignal, planDelta: MessageShape<typeof PlanDeltaSchema>, request: ReturnType<typeof requestVectors>[number]) {
  const keys = testKey();
  const pk = hex(keys.publicKeyRaw);
  const sig = signal.signature!.signature;
  const payload = signingPayload(PerformanceSignalSchema, signal);
  const unsigned = unsignedBytes(PerformanceSignalSchema, signal);
  const tampered = { ...signal, achieved: signal.achieved - 1 };
  const reorderedPlan = reverseFieldOrder(canonicalBytes(PlanDeltaSchema, planDelta));
  const reorderedSignal = reverseFieldOrder(unsigned);
  const canonicalPlan = canonicalBytes(PlanDeltaSchema, planDelta);
  const sigCheck = (name: string, description: string, message: Uint8Array, signature: Uint8Array, extra: object = {}) =>
    ({ name, kind: "signature", description, public_key_hex: pk, message_hex: hex(message), signature_hex: hex(signature), ...extra, expect: "reject" });
  return [
    sigCheck("signature-bit-flipped", "PerformanceSignal signature with bit 0 of byte 0 flipped; message is the true PAE.", payload, flipBit(sig, 0, 0)),
    sigCheck("signature-bit-flipped@byte-63-bit-7", "PerformanceSignal signature with the top bit of its last byte flipped (S no longer canonical).", payload, flipBit(sig, 63, 7)),
    sigCheck("payload-bit-flipped", "`achieved` lowered by 1 after signing: PAE of the altered unsigned bytes with the original signature.", signingPayload(PerformanceSignalSchema, tampered), sig),
    sigCheck("payload-type-swapped", `The signal's unsigned bytes under PAE type ${DeltaSchema.typeName}: a signature never transfers between types.`, pae(DeltaSchema.typeName, unsigned), sig),
    sigCheck("trailing-garbage@pae", "The true PAE with one 0x00 byte appended: PAE lengths bind the body exactly.", Buffer.concat([payload, Buffer.of(0)]), sig),
    sigCheck("trailing-garbage@signature", "A valid signature with one 0x00 byte appended (65 bytes): a signature is exactly 64 bytes.", payload, Buffer.concat([sig, Buffer.of(0)])),
    sigCheck("field-reordered@signed", "Signed over PAE of the signal's fields in descending field-number order (a non-canonical encoding); the message is the canonical PAE, so it must not verify.", payload,
      signBytes(keys.privateKey, pae(PerformanceSignalSchema.typeName, reorderedSignal)), { noncanonical_hex: hex(reorderedSignal) }),
    sigCheck("request-signature-bit-flipped", "The submit-signal request signature with bit 0 of byte 0 flipped.", Buffer.from(request.payload_hex, "hex"), flipBit(Buffer.from(request.signature_hex, "hex"), 0, 0)),
    sigCheck("request-method-swapped", "The submit-signal request signature presented for the same request sent to SubmitProblem.",
      requestSigningPayload({ actor: request.actor, method: methodPath(RegistryService.method.submitProblem), nonce: request.nonce, timestampMs: request.timestamp_ms, idempotencyKey: request.idempotency_key, bodyDigest: request.body_digest }),
      Buffer.from(request.signature_hex, "hex")),
    { name: "field-reordered", kind: "encoding", type: PlanDeltaSchema.typeName, description: "The PlanDelta vector's fields in descending field-number order: decodes to the same message, but re-encoding gives canonical_hex, so these bytes are not canonical and their hash is not the id.",
      encoded_hex: hex(reorderedPlan), decodes: true, canonical_hex: hex(canonicalPlan), id: contentId(canonicalPlan), hash_of_encoded: contentId(reorderedPlan), expect: "not-canonical" },
    { name: "trailing-garbage", kind: "encoding", type: PlanDeltaSchema.typeName, description: "The PlanDelta vector with one 0x00 byte appended: tag 0 is invalid, so decoding must fail.",
      encoded_hex: hex(Buffer.concat([canonicalPlan, Buffer.of(0)])), decodes: false, expect: "not-canonical" },
  ];
}

/** Every vector file, name → exact contents. Pure: the same bytes on every run. */
export function generateVectors(): Map<string, string> {
  const { unsigned, signed } = sampleObjects();
  const signal = signed.find((s) => s.schema === PerformanceSignalSchema)!.message as PerformanceSignal;
  const plan = unsigned.find((s) => s.name === "plan-delta-replace")!.message as MessageShape<typeof PlanDeltaSchema>;
  const problem = unsigned.find((s) => s.name === "local-problem-private")!.message;
  const requests = requestVectors(signal, problem);
  const doc = (description: string, body: Record<string, unknown>): string =>
    `${JSON.stringify({ format: FORMAT, generated_by: GENERATED_BY, description, ...body }, null, 2)}\n`;
  return new Map([
    ["objects.json", doc("Unsigned contract objects: protobuf JSON input, canonical protobuf binary, content id = SHA-256(canonical).",
      { vectors: unsigned.map(objectVector) })],
    ["signed-objects.json", doc("Signed objects: id = SHA-256(unsigned_hex) where unsigned_hex is the canonical encoding with `signature` unset; the signature is Ed25519 over pae_hex = PAE(type, unsigned_hex).",
      { test_key: testKeyJson(), vectors: signed.map(signedVector) })],
    ["request-signatures.json", doc("Signed gRPC requests: signature = Ed25519 over PAE(\"openpassmarket.v1.Request\", signed_text), signed_text = actor, method, nonce, timestamp_ms, idempotency_key, SHA-256 hex of body, joined by \\n.",
      { test_key: testKeyJson(), vectors: requests })],
    ["negative.json", doc("Inputs every implementation must refuse, named by how a valid vector was altered. kind=signature: Ed25519 verify(public_key, message, signature) must fail. kind=encoding: the bytes are not canonical.",
      { test_key: testKeyJson(), vectors: negativeVectors(signal, plan, requests[0]!) })],
  ] satisfies [string, string][]);
}

/** The repository root: the nearest ancestor of this file whose package.json is openpassmarket's. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "openpassmarket") return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the openpassmarket repository root above conformance/generate-vectors");
    dir = up;
  }
}

function main(): void {
  const out = join(repoRoot(), "conformance", "vectors");
  const check = process.argv.includes("--check");
  mkdirSync(out, { recursive: true });
  let differs = 0;
  for (const [name, contents] of generateVectors()) {
    const path = join(out, name);
    if (check) {
      if (!existsSync(path) || readFileSync(path, "utf8") !== contents) {
        process.stderr.write(`differs: ${path}\n`);
        differs++;
      }
    } else {
      writeFileSync(path, contents);
      process.stderr.write(`wrote ${path}\n`);
    }
  }
  if (differs > 0) process.exit(1);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();

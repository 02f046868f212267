import { create, fromBinary, fromJson, type DescMessage, type DescFile } from "@bufbuild/protobuf";
import { createHash, createPublicKey, verify } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { canonicalBytes, objectId, signedBytes, unsignedBytes } from "../src/kernel/codec/index.js";
import { SignatureSchema } from "../src/gen/openpassmarket/v1/common_pb.js";
import { generateVectors, repoRoot } from "./generate-vectors.js";

const root = repoRoot();
const vectorsDir = join(root, "conformance", "vectors");
const genDir = join(root, "src", "gen", "openpassmarket", "v1");
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

interface ObjectVector { name: string; type: string; input: never; canonical_hex: string; id: string }
interface SignedVector extends ObjectVector { unsigned_hex: string; pae_hex: string; key_id: string; signature_hex: string }
interface RequestVector { name: string; body_hex: string; body_digest: string; signed_text: string; payload_hex: string; signature_hex: string; metadata: Record<string, string> }
interface NegativeVector { name: string; kind: "signature" | "encoding"; type?: string; noncanonical_hex?: string; public_key_hex?: string; message_hex?: string; signature_hex?: string; encoded_hex?: string; decodes?: boolean; canonical_hex?: string; id?: string; hash_of_encoded?: string }
interface TestKey { seed_hex: string; public_key_hex: string; key_id: string }

function load<V>(file: string): { test_key?: TestKey; vectors: V[] } {
  return JSON.parse(readFileSync(join(vectorsDir, file), "utf8")) as { test_key?: TestKey; vectors: V[] };
}

/** Every message schema of the contract package, nested ones included, by full type name. */
async function contractSchemas(): Promise<Map<string, DescMessage>> {
  const out = new Map<string, DescMessage>();
  const visit = (m: DescMessage) => {
    out.set(m.typeName, m);
    m.nestedMessages.forEach(visit);
  };
  for (const file of readdirSync(genDir).filter((f) => f.endsWith("_pb.ts")).sort()) {
    const mod = (await import(pathToFileURL(join(genDir, file)).href)) as Record<string, unknown>;
    const descs = Object.entries(mod).filter(([k]) => k.startsWith("file_")).map(([, v]) => v as DescFile);
    expect(descs, `${file} exports one file descriptor`).toHaveLength(1);
    descs[0]!.messages.forEach(visit);
  }
  return out;
}

/** PAE written out independently of src/kernel/codec/pae.ts, straight from the DSSE spec. */
function paeReference(type: string, body: Uint8Array): Uint8Array {
  const t = Buffer.from(type, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${body.length} `), body]);
}

// Two independent Ed25519 verifiers. Both apply the rule that a signature is exactly 64
// bytes before verifying (tweetnacl would throw on other lengths; that is a refusal too).
const SPKI = Buffer.from("302a300506032b6570032100", "hex");
const verifiers = {
  "node:crypto": (pk: Uint8Array, msg: Uint8Array, sig: Uint8Array) =>
    sig.length === 64 && verify(null, msg, createPublicKey({ key: Buffer.concat([SPKI, pk]), format: "der", type: "spki" }), sig),
  tweetnacl: (pk: Uint8Array, msg: Uint8Array, sig: Uint8Array) => sig.length === 64 && nacl.sign.detached.verify(msg, sig, pk),
};

describe("conformance vectors", async () => {
  const schemas = await contractSchemas();
  const objects = load<ObjectVector>("objects.json").vectors;
  const signedDoc = load<SignedVector>("signed-objects.json");
  const requestDoc = load<RequestVector>("request-signatures.json");
  const negatives = load<NegativeVector>("negative.json").vectors;
  const schemaOf = (type: string): DescMessage => {
    const s = schemas.get(type);
    if (s === undefined) throw new Error(`vector type ${type} is not a message of src/gen/openpassmarket/v1`);
    return s;
  };

  it("covers the representative contract types", () => {
    const types = new Set([...objects, ...signedDoc.vectors].map((v) => v.type.replace("openpassmarket.v1.", "")));
    for (const t of ["PassSpec", "ContractDecl", "LocalProblem", "PerformanceSignal", "PlanDelta", "PrivacyBudget", "AuditEvent", "Delta"]) expect(types).toContain(t);
    expect(negatives.map((n) => n.name)).toEqual(expect.arrayContaining(["signature-bit-flipped", "payload-type-swapped", "field-reordered", "trailing-garbage"]));
  });

  it.each([...objects, ...signedDoc.vectors].map((v) => [v.name, v] as const))("%s: re-encoding the JSON input gives canonical_hex and the id", (_, v) => {
    const schema = schemaOf(v.type);
    const message = fromJson(schema, v.input);
    expect(hex(canonicalBytes(schema, message))).toBe(v.canonical_hex);
    expect(objectId(schema, message)).toBe(v.id);
    // The binary form decodes back to the same canonical bytes.
    expect(hex(canonicalBytes(schema, fromBinary(schema, fromHex(v.canonical_hex))))).toBe(v.canonical_hex);
  });

  it.each(signedDoc.vectors.map((v) => [v.name, v] as const))("%s: id, PAE and signature follow the signing rule", (_, v) => {
    const schema = schemaOf(v.type);
    const message = fromJson(schema, v.input);
    expect(hex(unsignedBytes(schema, message))).toBe(v.unsigned_hex);
    expect(sha256(fromHex(v.unsigned_hex))).toBe(v.id);
    expect(hex(paeReference(v.type, fromHex(v.unsigned_hex)))).toBe(v.pae_hex);
    const pk = fromHex(signedDoc.test_key!.public_key_hex);
    expect(sha256(pk)).toBe(v.key_id);
    for (const [name, check] of Object.entries(verifiers)) expect(check(pk, fromHex(v.pae_hex), fromHex(v.signature_hex)), name).toBe(true);
    // Ed25519 is deterministic: an independent signer reproduces the signature exactly.
    const pair = nacl.sign.keyPair.fromSeed(fromHex(signedDoc.test_key!.seed_hex));
    expect(hex(pair.publicKey)).toBe(signedDoc.test_key!.public_key_hex);
    expect(hex(nacl.sign.detached(fromHex(v.pae_hex), pair.secretKey))).toBe(v.signature_hex);
    // With its signature set, the object's canonical bytes are the unsigned bytes and then
    // the signature (the registry stores them so, without a second full encoding).
    const signed = { ...message, signature: create(SignatureSchema, { signer: "conformance", keyId: v.key_id, signature: fromHex(v.signature_hex) }) } as typeof message;
    const unsigned = unsignedBytes(schema, signed);
    expect(hex(unsigned)).toBe(v.unsigned_hex);
    expect((signed as { signature?: unknown }).signature).toBeDefined();
    expect(hex(signedBytes(schema, signed, unsigned))).toBe(hex(canonicalBytes(schema, signed)));
  });

  it.each(requestDoc.vectors.map((v) => [v.name, v] as const))("request %s: payload and signature follow the request-signing rule", (_, v) => {
    expect(sha256(fromHex(v.body_hex))).toBe(v.body_digest);
    expect(v.signed_text.split("\n")[5]).toBe(v.body_digest);
    expect(hex(paeReference("openpassmarket.v1.Request", Buffer.from(v.signed_text, "utf8")))).toBe(v.payload_hex);
    expect(Buffer.from(v.metadata["opm-signature"]!, "base64").toString("hex")).toBe(v.signature_hex);
    const pk = fromHex(requestDoc.test_key!.public_key_hex);
    for (const [name, check] of Object.entries(verifiers)) expect(check(pk, fromHex(v.payload_hex), fromHex(v.signature_hex)), name).toBe(true);
  });

  it.each(negatives.filter((n) => n.kind === "signature").map((v) => [v.name, v] as const))("negative %s: refused by both verifiers", (_, v) => {
    for (const [name, check] of Object.entries(verifiers)) {
      expect(check(fromHex(v.public_key_hex!), fromHex(v.message_hex!), fromHex(v.signature_hex!)), name).toBe(false);
    }
    if (v.noncanonical_hex !== undefined) {
      // The signed bytes decode to the very message whose canonical PAE is `message_hex`.
      const schema = schemaOf("openpassmarket.v1.PerformanceSignal");
      const canonical = canonicalBytes(schema, fromBinary(schema, fromHex(v.noncanonical_hex)));
      expect(hex(paeReference(schema.typeName, canonical))).toBe(v.message_hex);
      expect(hex(canonical)).not.toBe(v.noncanonical_hex);
    }
  });

  it.each(negatives.filter((n) => n.kind === "encoding").map((v) => [v.name, v] as const))("negative %s: not canonical", (_, v) => {
    const schema = schemaOf(v.type!);
    const bytes = fromHex(v.encoded_hex!);
    if (!v.decodes) {
      expect(() => fromBinary(schema, bytes)).toThrow();
      return;
    }
    const reencoded = canonicalBytes(schema, fromBinary(schema, bytes));
    expect(hex(reencoded)).toBe(v.canonical_hex);
    expect(hex(reencoded)).not.toBe(v.encoded_hex);
    expect(sha256(reencoded)).toBe(v.id);
    expect(sha256(bytes)).toBe(v.hash_of_encoded);
    expect(v.hash_of_encoded).not.toBe(v.id);
  });

  it("are exactly what generate-vectors.ts produces (never hand-edited)", () => {
    const generated = generateVectors();
    expect(readdirSync(vectorsDir).filter((f) => f.endsWith(".json")).sort()).toEqual([...generated.keys()].sort());
    for (const [name, contents] of generated) expect(readFileSync(join(vectorsDir, name), "utf8"), name).toBe(contents);
  });

  it("every contract message declares fields in ascending number order and has no map fields", () => {
    expect(schemas.size).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const [name, m] of schemas) {
      const numbers = m.fields.map((f) => f.number);
      for (let i = 1; i < numbers.length; i++) {
        if (numbers[i]! <= numbers[i - 1]!) problems.push(`${name}: field ${m.fields[i]!.name} = ${numbers[i]} declared after ${m.fields[i - 1]!.name} = ${numbers[i - 1]}`);
      }
      for (const f of m.fields) if (f.fieldKind === "map") problems.push(`${name}.${f.name}: map field`);
    }
    expect(problems).toEqual([]);
  });
});

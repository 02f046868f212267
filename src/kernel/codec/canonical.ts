import { create, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { createHash, hash } from "node:crypto";

/**
 * The one canonical byte encoding of a contract object: protobuf binary with fields in
 * ascending number order, no map fields and no unknown fields (the schemas in proto/
 * are written so, and `conformance/vectors.test.ts` checks every schema). Signatures and content
 * ids are computed over these bytes.
 */
export function canonicalBytes<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  return toBinary(schema, message, { writeUnknownFields: false });
}

/** SHA-256 of `bytes`, lowercase hex: the content id of an object. */
export function contentId(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** SHA-256 of `bytes` as raw bytes. */
export function sha256(bytes: Uint8Array): Uint8Array {
  // One-shot: no Hash object per call (a replay hashes every value it holds).
  return hash("sha256", bytes, "buffer");
}

/**
 * The canonical bytes a signature covers: the message with its `signature` field unset.
 * Requires `schema` to have a message field named `signature`.
 */
export function unsignedBytes<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  // Unset and restored around a synchronous encoding rather than cloned: this runs for
  // every signed object the registry receives.
  const signed = message as MessageShape<Desc> & { signature?: unknown };
  const signature = signed.signature;
  signed.signature = undefined;
  try {
    return canonicalBytes(schema, signed);
  } finally {
    signed.signature = signature;
  }
}

/** Schemas whose `signature` is their highest-numbered field, so it is encoded last. */
const signatureLast = new WeakMap<DescMessage, boolean>();

/**
 * The canonical bytes of a signed `message`, given its `unsigned` bytes (as returned by
 * `verifyObject`). Where `signature` is the schema's last field — every signed contract
 * object — its encoding simply follows the unsigned bytes, and only it is encoded.
 */
export function signedBytes<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, unsigned: Uint8Array): Uint8Array {
  let last = signatureLast.get(schema);
  if (last === undefined) {
    const numbers = schema.fields.map((f) => f.number);
    last = schema.fields.find((f) => f.localName === "signature")?.number === Math.max(...numbers);
    signatureLast.set(schema, last);
  }
  const signature = (message as { signature?: unknown }).signature;
  if (!last || signature === undefined) return canonicalBytes(schema, message);
  const tail = canonicalBytes(schema, create(schema, { signature } as never));
  const out = new Uint8Array(unsigned.length + tail.length);
  out.set(unsigned, 0);
  out.set(tail, unsigned.length);
  return out;
}

/** Content id of a signed object: the hash of its unsigned canonical bytes. */
export function objectId<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): string {
  const hasSignature = schema.fields.some((f) => f.localName === "signature");
  return contentId(hasSignature ? unsignedBytes(schema, message) : canonicalBytes(schema, message));
}

import { clone, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { createHash } from "node:crypto";

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
  return createHash("sha256").update(bytes).digest();
}

/**
 * The canonical bytes a signature covers: the message with its `signature` field unset.
 * Requires `schema` to have a message field named `signature`.
 */
export function unsignedBytes<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  const copy = clone(schema, message) as MessageShape<Desc> & { signature?: unknown };
  copy.signature = undefined;
  return canonicalBytes(schema, copy);
}

/** Content id of a signed object: the hash of its unsigned canonical bytes. */
export function objectId<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): string {
  const hasSignature = schema.fields.some((f) => f.localName === "signature");
  return contentId(hasSignature ? unsignedBytes(schema, message) : canonicalBytes(schema, message));
}

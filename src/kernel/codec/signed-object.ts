import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { SignatureSchema, type Signature } from "../../gen/openpassmarket/v1/common_pb.js";
import { OpmError } from "../errors/index.js";
import { unsignedBytes } from "./canonical.js";
import { signBytes, verifyBytes, type Ed25519KeyPair } from "./ed25519.js";
import { pae } from "./pae.js";
import type { SignatureVerifier } from "./verify-pool.js";
import type { KeyObject } from "node:crypto";

type Signable = { signature?: Signature };

/** The bytes a signature on `message` covers: PAE(type name, unsigned canonical bytes). */
export function signingPayload<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  return pae(schema.typeName, unsignedBytes(schema, message));
}

/** Returns `message` with its `signature` set by `signer`'s key (the message is modified). */
export function signObject<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc> & Signable,
  signer: string,
  keys: Ed25519KeyPair,
): MessageShape<Desc> {
  const signature = signBytes(keys.privateKey, signingPayload(schema, message));
  message.signature = create(SignatureSchema, { signer, keyId: keys.keyId, signature });
  return message;
}

/**
 * Checks `message.signature` against `publicKey` (whose id must be `keyId`). Throws
 * OpmError("unauthenticated") naming what is wrong; on success returns the unsigned
 * canonical bytes it verified, whose hash is the object's content id.
 */
export function verifyObject<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc> & Signable,
  publicKey: KeyObject,
  keyId: string,
): Uint8Array {
  const { unsigned, payload, signature } = signatureClaim(schema, message, keyId);
  return settle(schema, unsigned, verifyBytes(publicKey, payload, signature));
}

/** `verifyObject` with the Ed25519 check made by `verifier` (off the event loop). */
export async function verifyObjectWith<Desc extends DescMessage>(
  verifier: SignatureVerifier,
  schema: Desc,
  message: MessageShape<Desc> & Signable,
  publicKey: KeyObject,
  keyId: string,
): Promise<Uint8Array> {
  const { unsigned, payload, signature } = signatureClaim(schema, message, keyId);
  return settle(schema, unsigned, await verifier.verify(publicKey, payload, signature));
}

/** What a signature on `message` must verify over; throws when it is absent or by another key. */
function signatureClaim<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc> & Signable, keyId: string) {
  const sig = message.signature;
  if (sig === undefined) throw new OpmError("unauthenticated", `${schema.typeName} is not signed`, { field: "signature" });
  if (sig.keyId !== keyId) {
    throw new OpmError("unauthenticated", `${schema.typeName} signed by key ${sig.keyId}, expected ${keyId}`, { field: "signature.key_id" });
  }
  const unsigned = unsignedBytes(schema, message);
  return { unsigned, payload: pae(schema.typeName, unsigned), signature: sig.signature };
}

function settle(schema: DescMessage, unsigned: Uint8Array, verified: boolean): Uint8Array {
  if (!verified) throw new OpmError("unauthenticated", `${schema.typeName} signature does not verify`, { field: "signature.signature" });
  return unsigned;
}

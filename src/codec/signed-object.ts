import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { SignatureSchema, type Signature } from "../gen/openpassmarket/v1/common_pb.js";
import { OpmError } from "../errors/index.js";
import { unsignedBytes } from "./canonical.js";
import { signBytes, verifyBytes, type Ed25519KeyPair } from "./ed25519.js";
import { pae } from "./pae.js";
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
  const sig = message.signature;
  if (sig === undefined) throw new OpmError("unauthenticated", `${schema.typeName} is not signed`, { field: "signature" });
  if (sig.keyId !== keyId) {
    throw new OpmError("unauthenticated", `${schema.typeName} signed by key ${sig.keyId}, expected ${keyId}`, { field: "signature.key_id" });
  }
  const unsigned = unsignedBytes(schema, message);
  if (!verifyBytes(publicKey, pae(schema.typeName, unsigned), sig.signature)) {
    throw new OpmError("unauthenticated", `${schema.typeName} signature does not verify`, { field: "signature.signature" });
  }
  return unsigned;
}

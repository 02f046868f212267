const encoder = new TextEncoder();

/**
 * DSSE pre-authentication encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`
 * with lengths as ASCII decimal byte counts. Signing PAE(type, body) rather than the body
 * binds the signature to the payload type, so a signature on one kind of object can
 * never be replayed as a signature on another kind with the same bytes.
 */
export function pae(payloadType: string, body: Uint8Array): Uint8Array {
  const type = encoder.encode(payloadType);
  const head = encoder.encode(`DSSEv1 ${type.length} ${payloadType} ${body.length} `);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

const encoder = new TextEncoder();

/**
 * DSSE pre-authentication encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`
 * with lengths as ASCII decimal byte counts. Signing PAE(type, body) rather than the body
 * binds the signature to the payload type, so a signature on one kind of object can
 * never be replayed as a signature on another kind with the same bytes.
 */
export function pae(payloadType: string, body: Uint8Array): Uint8Array {
  const prefix = typePrefix(payloadType);
  // The body length is ASCII digits: one byte a character.
  const length = `${body.length} `;
  const out = new Uint8Array(prefix.length + length.length + body.length);
  out.set(prefix, 0);
  for (let i = 0; i < length.length; i++) out[prefix.length + i] = length.charCodeAt(i);
  out.set(body, prefix.length + length.length);
  return out;
}

// `"DSSEv1" SP LEN(type) SP type SP` per payload type: a replay builds 10^5 of them for a
// handful of types, and encoding the same string each time showed in its profile.
const prefixes = new Map<string, Uint8Array>();

function typePrefix(payloadType: string): Uint8Array {
  let prefix = prefixes.get(payloadType);
  if (prefix === undefined) {
    const type = encoder.encode(payloadType);
    prefix = encoder.encode(`DSSEv1 ${type.length} ${payloadType} `);
    if (prefixes.size < 64) prefixes.set(payloadType, prefix);
  }
  return prefix;
}

/** One top-level field of a protobuf encoding: where its tag starts, its payload and its end. */
export interface WireField {
  number: number;
  wireType: number;
  /** Offset of the field's tag. */
  start: number;
  /** Offset of its payload (after tag, and length for wire type 2). */
  payloadStart: number;
  end: number;
}

function varint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const b = bytes[i]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [value, i + 1];
    scale *= 128;
  }
  throw new Error(`truncated or overlong varint at byte ${at}`);
}

/**
 * The top-level fields of `bytes` in order, without decoding their payloads. Throws on
 * anything but well-formed varint, 64-bit, length-delimited and 32-bit fields (groups are
 * refused) or on a length running past the end.
 */
export function topLevelFields(bytes: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const [tag, afterTag] = varint(bytes, at);
    const number = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (number === 0) throw new Error(`field number 0 at byte ${start}`);
    let payloadStart = afterTag;
    let end: number;
    switch (wireType) {
      case 0: end = varint(bytes, afterTag)[1]; break;
      case 1: end = afterTag + 8; break;
      case 2: {
        const [length, afterLength] = varint(bytes, afterTag);
        payloadStart = afterLength;
        end = afterLength + length;
        break;
      }
      case 5: end = afterTag + 4; break;
      default: throw new Error(`wire type ${wireType} at byte ${start}`);
    }
    if (end > bytes.length) throw new Error(`field ${number} at byte ${start} runs past the end (${end} > ${bytes.length})`);
    out.push({ number, wireType, start, payloadStart, end });
    at = end;
  }
  return out;
}

/**
 * Splits protobuf binary into its top-level records (tag + value) without a schema, so
 * negative vectors can reorder fields. Requires well-formed input of wire types 0, 1, 2
 * and 5 (no groups: the contracts use none); throws naming the offset otherwise.
 */
export function splitRecords(bytes: Uint8Array): Uint8Array[] {
  const records: Uint8Array[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = bytes[pos++];
      if (b === undefined) throw new Error(`truncated varint at offset ${pos - 1} of ${bytes.length}`);
      value |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value;
    }
  };
  while (pos < bytes.length) {
    const start = pos;
    const wireType = Number(varint() & 7n);
    if (wireType === 0) varint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 2) {
      const length = Number(varint()); // read before `pos +=` evaluates pos
      pos += length;
    }
    else if (wireType === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wireType} at offset ${start}`);
    if (pos > bytes.length) throw new Error(`record at offset ${start} runs past the end (${pos} > ${bytes.length})`);
    records.push(bytes.subarray(start, pos));
  }
  return records;
}

/** The field number of a record that `splitRecords` returned. */
export function fieldNumberOf(record: Uint8Array): number {
  let tag = 0;
  for (let i = 0, shift = 1; i < record.length; i++, shift *= 128) {
    const b = record[i]!;
    tag += (b & 0x7f) * shift;
    if ((b & 0x80) === 0) break;
  }
  return Math.floor(tag / 8);
}

/**
 * `bytes` with its fields in descending number order — a non-canonical encoding of the
 * same message. Records of one repeated field keep their relative order (reordering them
 * would change the message). Requires at least two distinct field numbers.
 */
export function reverseFieldOrder(bytes: Uint8Array): Uint8Array {
  const records = splitRecords(bytes).map((r, i) => ({ r, i, n: fieldNumberOf(r) }));
  if (new Set(records.map((x) => x.n)).size < 2) throw new Error("need at least two distinct fields to reorder");
  records.sort((a, b) => b.n - a.n || a.i - b.i);
  return Buffer.concat(records.map((x) => x.r));
}

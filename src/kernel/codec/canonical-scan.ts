import { ScalarType, type DescField, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { isUtf8 } from "node:buffer";
import { canonicalBytes } from "./canonical.js";

/**
 * Whether `bytes` is exactly the canonical encoding (`canonicalBytes`) of the message they
 * decode to, checked by one scan of the wire format instead of decoding and re-encoding:
 * fields in ascending number order, a repeated field's elements together, no unknown
 * field, no implicit-presence scalar at its zero value, varints in their shortest form and within their type's range, bools 0 or 1, strings
 * valid UTF-8, nested messages canonical in turn. It decides exactly what the round trip
 * would (the tests compare the two on mutated encodings).
 *
 * Returns undefined for a schema with a field kind the scan does not cover (floating and
 * fixed-width numbers, zigzag integers, maps, groups, packed lists, oneofs): the caller falls
 * back to the round trip. A replay checks 10^5 changes this way; re-encoding them copied
 * every value once more.
 */
export function scanCanonical(schema: DescMessage, bytes: Uint8Array): boolean | undefined {
  if (!scannable(schema, new Set())) return undefined;
  return scanMessage(schema, bytes, 0, bytes.length);
}

/**
 * Whether `bytes`, which decoded to `message`, are its canonical encoding: by the scan
 * where the schema allows it, else by re-encoding `message` and comparing.
 */
export function isCanonicalEncoding<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, bytes: Uint8Array): boolean {
  const scanned = scanCanonical(schema, bytes);
  if (scanned !== undefined) return scanned;
  const again = canonicalBytes(schema, message);
  return Buffer.from(again.buffer, again.byteOffset, again.byteLength).equals(bytes);
}

const VARINT_SCALARS = new Set([ScalarType.INT32, ScalarType.INT64, ScalarType.UINT32, ScalarType.UINT64, ScalarType.BOOL]);
const IMPLICIT = 2; // google.protobuf.FeatureSet.FieldPresence.IMPLICIT

function scalarOf(f: DescField): ScalarType | "enum" | "message" | undefined {
  if (f.fieldKind === "scalar") return f.scalar;
  if (f.fieldKind === "enum") return "enum";
  if (f.fieldKind === "message") return f.delimitedEncoding ? undefined : "message";
  if (f.fieldKind === "list") {
    if (f.listKind === "message") return f.delimitedEncoding ? undefined : "message";
    // Packed lists of numbers are left to the round trip; lists of strings and bytes are not packed.
    if (f.listKind === "scalar" && (f.scalar === ScalarType.STRING || f.scalar === ScalarType.BYTES)) return f.scalar;
  }
  return undefined;
}

const scannableCache = new WeakMap<DescMessage, boolean>();

function scannable(schema: DescMessage, visiting: Set<DescMessage>): boolean {
  const known = scannableCache.get(schema);
  if (known !== undefined) return known;
  if (visiting.has(schema)) return true;
  visiting.add(schema);
  const ok = schema.oneofs.length === 0 && schema.fields.every((f) => {
    const kind = scalarOf(f);
    if (kind === undefined) return false;
    if (kind === "message") return scannable(f.message!, visiting);
    return kind === "enum" || kind === ScalarType.STRING || kind === ScalarType.BYTES || VARINT_SCALARS.has(kind);
  });
  visiting.delete(schema);
  scannableCache.set(schema, ok);
  return ok;
}

/** A varint read strictly: its end, and whether it is the shortest form, fits in 64 bits, and its halves. */
interface Varint {
  next: number;
  lo: number;
  hi: number;
}

/** Reads a shortest-form varint of at most 64 bits; undefined when it is not one. */
function readVarint(bytes: Uint8Array, at: number, end: number): Varint | undefined {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (at + i >= end) return undefined;
    const b = bytes[at + i]!;
    const bits = b & 0x7f;
    if (i < 4) lo |= bits << (7 * i);
    else if (i === 4) {
      lo |= (bits & 0x0f) << 28;
      hi |= bits >> 4;
    } else hi |= bits << (7 * i - 32);
    if ((b & 0x80) === 0) {
      // Shortest form: a last byte of zero is only the single byte 0; a 10th byte holds one bit.
      if (i > 0 && b === 0) return undefined;
      if (i === 9 && b > 1) return undefined;
      return { next: at + i + 1, lo: lo >>> 0, hi: hi >>> 0 };
    }
  }
  return undefined;
}

function fitsScalar(type: ScalarType | "enum", v: Varint): boolean {
  switch (type) {
    case ScalarType.BOOL: return v.hi === 0 && v.lo <= 1;
    case ScalarType.UINT32: return v.hi === 0;
    // int32 and enums: a negative value is sign-extended to ten bytes, a positive one fits 31 bits.
    case ScalarType.INT32:
    case "enum": return (v.hi === 0 && v.lo < 0x80000000) || (v.hi === 0xffffffff && v.lo >= 0x80000000);
    default: return true;
  }
}

const sortedCache = new WeakMap<DescMessage, DescField[]>();

function sortedFields(schema: DescMessage): DescField[] {
  let sorted = sortedCache.get(schema);
  if (sorted === undefined) sortedCache.set(schema, (sorted = schema.fields.slice().sort((a, b) => a.number - b.number)));
  return sorted;
}

function scanMessage(schema: DescMessage, bytes: Uint8Array, start: number, end: number): boolean {
  const fields = sortedFields(schema);
  let index = 0;
  let last: DescField | undefined;
  let at = start;
  while (at < end) {
    const tag = readVarint(bytes, at, end);
    if (tag === undefined || tag.hi !== 0) return false;
    at = tag.next;
    const number = tag.lo >>> 3;
    const wireType = tag.lo & 7;
    let field: DescField | undefined;
    if (last !== undefined && last.number === number) {
      // Only a list's elements may repeat a number, one after another.
      if (last.fieldKind !== "list") return false;
      field = last;
    } else {
      while (index < fields.length && fields[index]!.number < number) index++;
      field = fields[index];
      if (field === undefined || field.number !== number) return false;
      index++;
    }
    last = field;
    const kind = scalarOf(field)!;
    const implicit = field.fieldKind !== "list" && field.presence === IMPLICIT;
    if (kind === "enum" || VARINT_SCALARS.has(kind as ScalarType)) {
      if (wireType !== 0) return false;
      const v = readVarint(bytes, at, end);
      if (v === undefined || !fitsScalar(kind as ScalarType | "enum", v)) return false;
      if (implicit && v.lo === 0 && v.hi === 0) return false;
      at = v.next;
      continue;
    }
    if (wireType !== 2) return false;
    const length = readVarint(bytes, at, end);
    if (length === undefined || length.hi !== 0) return false;
    const payloadEnd = length.next + length.lo;
    if (payloadEnd > end) return false;
    if (kind === "message") {
      if (!scanMessage(field.message!, bytes, length.next, payloadEnd)) return false;
    } else {
      if (implicit && length.lo === 0) return false;
      if (kind === ScalarType.STRING && !isUtf8(bytes.subarray(length.next, payloadEnd))) return false;
    }
    at = payloadEnd;
  }
  return true;
}

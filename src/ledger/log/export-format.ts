import { LedgerError } from "../errors.js";

/** The `format` field of every export file. */
export const EXPORT_FORMAT = "openpassmarket.ledger.export.v1";

/** Field numbers of `LedgerExport` (proto/openpassmarket/v1/ledger.proto). */
export const EXPORT_FIELD = { format: 1, origin: 2, logKey: 3, entry: 4, checkpoint: 5 } as const;

const utf8 = new TextEncoder();

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/**
 * Writes the protobuf encoding of a `LedgerExport` without materializing messages:
 * each record is a length-delimited field, so entries are copied as their canonical
 * bytes. The output equals `toBinary(LedgerExportSchema, …)` of the same content.
 */
export class ExportWriter {
  private readonly parts: Uint8Array[] = [];
  /** Bytes written so far. */
  length = 0;

  field(fieldNo: number, payload: Uint8Array): this {
    const tag = new Uint8Array([(fieldNo << 3) | 2, ...varint(payload.length)]);
    this.parts.push(tag, payload);
    this.length += tag.length + payload.length;
    return this;
  }

  string(fieldNo: number, text: string): this {
    return this.field(fieldNo, utf8.encode(text));
  }

  /** A `LedgerCheckpoint{note}` record (field 5 holding field 1). */
  checkpoint(note: string): this {
    const inner = utf8.encode(note);
    return this.field(EXPORT_FIELD.checkpoint, new Uint8Array([0x0a, ...varint(inner.length), ...inner]));
  }

  finish(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}

/** One top-level field of an export file. */
export interface ExportRecord {
  fieldNo: number;
  payload: Uint8Array;
  /** Byte offset of the record in the file, for error messages. */
  offset: number;
}

/**
 * Iterates the top-level fields of an export strictly: every tag must be a one-byte
 * length-delimited tag, every length a minimal varint within the file. Anything else
 * (truncation, trailing garbage, other wire types) throws malformed_export with the
 * byte offset.
 */
export function* readExportRecords(bytes: Uint8Array): Generator<ExportRecord> {
  let pos = 0;
  const bad = (msg: string, at: number) => new LedgerError("malformed_export", `export byte ${at}: ${msg}`);
  while (pos < bytes.length) {
    const offset = pos;
    const tag = bytes[pos++]!;
    if ((tag & 0x80) !== 0 || (tag & 7) !== 2 || tag >> 3 === 0) throw bad(`unexpected tag 0x${tag.toString(16)}`, offset);
    let len = 0;
    let shift = 1;
    for (let i = 0; ; i++) {
      if (pos >= bytes.length) throw bad("truncated length", offset);
      if (i === 4) throw bad("length too large", offset);
      const b = bytes[pos++]!;
      len += (b & 0x7f) * shift;
      shift *= 128;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) throw bad("non-minimal length", offset);
        break;
      }
    }
    if (pos + len > bytes.length) throw bad(`record of ${len} bytes runs past the end of the file`, offset);
    yield { fieldNo: tag >> 3, payload: bytes.subarray(pos, pos + len), offset };
    pos += len;
  }
}

/** Decodes a `LedgerCheckpoint` payload strictly: exactly one field 1 string. Returns the note. */
export function decodeCheckpointRecord(payload: Uint8Array, offset: number): string {
  const records = [...readExportRecords(payload)];
  if (records.length !== 1 || records[0]!.fieldNo !== 1) {
    throw new LedgerError("malformed_export", `export byte ${offset}: checkpoint record is not a LedgerCheckpoint{note}`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(records[0]!.payload);
  } catch {
    throw new LedgerError("malformed_export", `export byte ${offset}: checkpoint note is not UTF-8`);
  }
}

import { Ed25519NoteVerifier } from "../checkpoint/ed25519-note-signer.js";
import { ExportWriter, readExportRecords } from "../log/export-format.js";
import { parseCheckpoint } from "../checkpoint/checkpoint.js";
import { parseNote } from "../checkpoint/note.js";
import { acceptDeltaBatches, acceptDeltaCheckpoint, newDeltaTrust } from "./delta-trust.js";
import { DeltaError } from "./delta-error.js";
import { DeltaState } from "./delta-state.js";
import type { DeltaBatch } from "../../gen/openpassmarket/v1/sync_pb.js";

/** The `format` field of every delta export. */
export const DELTA_EXPORT_FORMAT = "openpassmarket.delta.export.v1";
/** Field numbers of `DeltaExport` (proto/openpassmarket/v1/sync.proto). */
export const DELTA_EXPORT_FIELD = { format: 1, origin: 2, logKey: 3, batch: 4, checkpoint: 5 } as const;

/** The header of a delta export (everything before the batches). */
export function deltaExportHeader(origin: string, logKey: string): Uint8Array {
  return new ExportWriter().string(DELTA_EXPORT_FIELD.format, DELTA_EXPORT_FORMAT)
    .string(DELTA_EXPORT_FIELD.origin, origin).string(DELTA_EXPORT_FIELD.logKey, logKey).finish();
}

/** Batch records of a delta export, each `SignedDeltaBatch` bytes as field 4. */
export function deltaExportBatches(batches: readonly Uint8Array[]): Uint8Array {
  const w = new ExportWriter();
  for (const b of batches) w.field(DELTA_EXPORT_FIELD.batch, b);
  return w.finish();
}

/** The closing record: a checkpoint note covering every batch. */
export function deltaExportCheckpoint(note: string): Uint8Array {
  return new ExportWriter().string(DELTA_EXPORT_FIELD.checkpoint, note).finish();
}

/** What `replayDeltaExport` rebuilt and checked. */
export interface ReplayedLog {
  origin: string;
  logKey: string;
  checkpoint: string;
  checkpointTimeMs: number;
  size: bigint;
  state: DeltaState;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Rebuilds a node's state from a delta export, offline, verifying from scratch: strict
 * framing, format, the log key (pinned by `expectLogKey` when given, else the file's own,
 * whose name must be the origin), every batch (size, encoding, origin, signature,
 * sequence, chain) and the closing checkpoint's signature and root over all batches.
 * Throws DeltaError at the first problem. `onBatch` sees each batch as it is opened, before
 * the closing root is checked (`ReplayedSignatureChecks.observe` starts signal checks there).
 */
export function replayDeltaExport(bytes: Uint8Array, options: { expectLogKey?: string; onBatch?: (batch: DeltaBatch) => void } = {}): ReplayedLog {
  const records = readExportRecords(bytes);
  const text = (fieldNo: number, what: string): string => {
    const r = records.next();
    if (r.done === true || r.value.fieldNo !== fieldNo) throw new DeltaError("malformed_export", `export: expected ${what} (field ${fieldNo})`);
    try {
      return utf8.decode(r.value.payload);
    } catch {
      throw new DeltaError("malformed_export", `export byte ${r.value.offset}: ${what} is not UTF-8`);
    }
  };
  const format = text(DELTA_EXPORT_FIELD.format, "format");
  if (format !== DELTA_EXPORT_FORMAT) throw new DeltaError("malformed_export", `export format ${JSON.stringify(format)}, expected ${DELTA_EXPORT_FORMAT}`);
  const origin = text(DELTA_EXPORT_FIELD.origin, "origin");
  const logKey = text(DELTA_EXPORT_FIELD.logKey, "log_key");
  if (options.expectLogKey !== undefined && logKey !== options.expectLogKey) {
    throw new DeltaError("unknown_key", `export log key ${logKey} is not the expected ${options.expectLogKey}`);
  }
  if (Ed25519NoteVerifier.fromVerifierKey(logKey).name !== origin) throw new DeltaError("malformed_export", `log key ${logKey} does not name origin ${origin}`);
  const batches: Uint8Array[] = [];
  let note: string | undefined;
  for (const r of records) {
    if (note !== undefined) throw new DeltaError("malformed_export", `export byte ${r.offset}: record after the checkpoint`);
    if (r.fieldNo === DELTA_EXPORT_FIELD.batch) batches.push(r.payload);
    else if (r.fieldNo === DELTA_EXPORT_FIELD.checkpoint) note = utf8.decode(r.payload);
    else throw new DeltaError("malformed_export", `export byte ${r.offset}: unexpected field ${r.fieldNo}`);
  }
  if (note === undefined) throw new DeltaError("malformed_export", "export has no closing checkpoint");
  const size = parseCheckpoint(parseNote(note).text).size;
  if (size !== BigInt(batches.length)) throw new DeltaError("gap", `export has ${batches.length} batches but its checkpoint covers ${size}`);
  const trust = newDeltaTrust(logKey);
  const cp = acceptDeltaCheckpoint(trust, note, [], { nowMs: Date.now(), maxAgeMs: Infinity, maxSkewMs: Infinity });
  const state = new DeltaState();
  acceptDeltaBatches(trust, cp, batches, [], (b) => {
    state.apply(b.batch);
    options.onBatch?.(b.batch);
  });
  return { origin, logKey, checkpoint: note, checkpointTimeMs: cp.timeMs, size, state };
}

import { equalBytes, toHex } from "../bytes.js";
import { Ed25519NoteVerifier } from "../checkpoint/ed25519-note-signer.js";
import type { NoteVerifier } from "../checkpoint/note-key.js";
import { openCheckpoint, type CheckpointPolicy, type SignedCheckpoint } from "../checkpoint/open-checkpoint.js";
import { LedgerError } from "../errors.js";
import { decodeSignedEntry } from "../governance/entry-codec.js";
import { GovernanceState } from "../governance/governance-state.js";
import { hashLeaf } from "../merkle/hasher.js";
import { MemoryTreeStore } from "../merkle/memory-tree-store.js";
import { rootAt } from "../merkle/proofs.js";
import { EXPORT_FIELD, EXPORT_FORMAT, decodeCheckpointRecord, readExportRecords } from "./export-format.js";

/** What an offline verifier may pin from out of band. */
export interface VerifyExportOptions {
  /** The log's vkey; when given, the file's `log_key` must equal it. */
  logKey?: string;
  /** A checkpoint note trusted earlier: the export must extend it (rollback / split-view check). */
  trustedCheckpoint?: string;
  /** Witnesses whose cosignatures, when present, must verify; `witnessQuorum` of them required on the last checkpoint. */
  witnesses?: readonly NoteVerifier[];
  witnessQuorum?: number;
}

/** The verified content of an export. */
export interface VerifiedExport {
  size: bigint;
  rootHash: Uint8Array;
  state: GovernanceState;
  latest: SignedCheckpoint;
  checkpoints: number;
}

const malformed = (msg: string, entryIndex?: bigint) =>
  new LedgerError("malformed_export", msg, entryIndex === undefined ? {} : { entryIndex });
function utf8(b: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(b);
  } catch {
    throw malformed("export header field is not UTF-8");
  }
}

/**
 * Verifies an export file from scratch, offline: strict framing; every entry canonical,
 * chained, and effective under the governance replayed so far (signatures and
 * thresholds); every checkpoint signed by the log key with a root equal to the tree
 * recomputed from the entries and sizes strictly increasing; the last checkpoint
 * covering all entries; and, when given, consistency with a trusted checkpoint.
 * Throws a LedgerError at the FIRST problem, with `entryIndex` set when an entry is at
 * fault (its message starts with `entry <i>:`).
 */
export async function verifyExport(bytes: Uint8Array, options: VerifyExportOptions = {}): Promise<VerifiedExport> {
  const records = readExportRecords(bytes);
  const header: string[] = [];
  for (const want of [EXPORT_FIELD.format, EXPORT_FIELD.origin, EXPORT_FIELD.logKey]) {
    const r = records.next();
    if (r.done || r.value.fieldNo !== want) throw malformed(`export header: expected field ${want} ${r.done ? "before end of file" : `at byte ${r.value.offset}, got field ${r.value.fieldNo}`}`);
    header.push(utf8(r.value.payload));
  }
  const [format, origin, logKey] = header as [string, string, string];
  if (format !== EXPORT_FORMAT) throw malformed(`export format ${JSON.stringify(format)}, expected ${EXPORT_FORMAT}`);
  if (options.logKey !== undefined && options.logKey !== logKey) throw new LedgerError("unknown_key", `export log key ${logKey} is not the trusted key ${options.logKey}`);
  const policy: CheckpointPolicy = { origin, logVerifier: Ed25519NoteVerifier.fromVerifierKey(logKey), witnesses: options.witnesses ?? [] };

  const state = new GovernanceState();
  const tree = new MemoryTreeStore();
  let pending: Uint8Array[] = [];
  let latest: SignedCheckpoint | undefined;
  let checkpoints = 0;
  for (const record of records) {
    if (record.fieldNo === EXPORT_FIELD.entry) {
      if (checkpoints > 0) throw malformed(`export byte ${record.offset}: entry after the checkpoints`);
      const index = state.size;
      const leafHash = hashLeaf(record.payload);
      state.apply(decodeSignedEntry(record.payload, index), leafHash);
      if (index === 0n && state.origin !== origin) {
        throw new LedgerError("invalid_transition", `entry 0: genesis log_origin ${JSON.stringify(state.origin)} differs from export origin ${JSON.stringify(origin)}`, { entryIndex: 0n });
      }
      pending.push(leafHash);
      if (pending.length >= 4096) {
        await tree.appendLeaves(pending);
        pending = [];
      }
    } else if (record.fieldNo === EXPORT_FIELD.checkpoint) {
      await tree.appendLeaves(pending);
      pending = [];
      const cp = openCheckpoint(decodeCheckpointRecord(record.payload, record.offset), policy);
      const { size, rootHash } = cp.checkpoint;
      const prev = latest?.checkpoint.size;
      if (prev !== undefined && size <= prev) {
        throw new LedgerError("rollback", `checkpoint ${checkpoints}: size ${size} does not exceed the previous checkpoint size ${prev} (rollback or replay)`);
      }
      if (size > state.size) throw malformed(`checkpoint ${checkpoints}: size ${size} but the export has only ${state.size} entries (entries dropped?)`);
      const calculated = await rootAt(tree, size);
      if (!equalBytes(calculated, rootHash)) {
        const from = prev ?? 0n;
        throw new LedgerError("root_mismatch", `checkpoint ${checkpoints} (size ${size}): root ${toHex(rootHash)} but entries give ${toHex(calculated)}: an entry in [${from}, ${size}) was altered`, { entryIndex: from });
      }
      latest = cp;
      checkpoints++;
    } else {
      throw malformed(`export byte ${record.offset}: unexpected field ${record.fieldNo}`);
    }
  }
  if (latest === undefined) throw malformed(`export has ${state.size} entries and no checkpoint`);
  if (latest.checkpoint.size !== state.size) {
    throw malformed(`entries [${latest.checkpoint.size}, ${state.size}) are not covered by the last checkpoint (size ${latest.checkpoint.size}): stale or replayed checkpoint`, latest.checkpoint.size);
  }
  const quorum = options.witnessQuorum ?? 0;
  if (latest.witnesses.length < quorum) throw new LedgerError("unknown_key", `last checkpoint has ${latest.witnesses.length} witness cosignatures, quorum is ${quorum}`);
  if (options.trustedCheckpoint !== undefined) await checkTrusted(options.trustedCheckpoint, policy, tree, state.size);
  return { size: state.size, rootHash: latest.checkpoint.rootHash, state, latest, checkpoints };
}

async function checkTrusted(note: string, policy: CheckpointPolicy, tree: MemoryTreeStore, size: bigint): Promise<void> {
  const trusted = openCheckpoint(note, { ...policy, witnesses: [] }).checkpoint;
  if (trusted.size > size) {
    throw new LedgerError("rollback", `rollback: export ends at size ${size}, before the trusted checkpoint size ${trusted.size}`);
  }
  const calculated = await rootAt(tree, trusted.size);
  if (!equalBytes(calculated, trusted.rootHash)) {
    throw new LedgerError("split_view", `split view: export root at trusted size ${trusted.size} is ${toHex(calculated)}, trusted root is ${toHex(trusted.rootHash)}`);
  }
}

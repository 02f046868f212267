import type { Ed25519KeyPair } from "../../kernel/codec/index.js";
import { formatCheckpoint } from "../checkpoint/checkpoint.js";
import { Ed25519NoteSigner, Ed25519NoteVerifier } from "../checkpoint/ed25519-note-signer.js";
import { signNote } from "../checkpoint/note.js";
import { openCheckpoint, type SignedCheckpoint } from "../checkpoint/open-checkpoint.js";
import { LedgerError } from "../errors.js";
import { DeltaError } from "./delta-error.js";

/** A node's delta-log origin: derived from its key, so stable across restarts. */
export function deltaOrigin(nodeKey: Ed25519KeyPair): string {
  return `openpassmarket/delta/${nodeKey.keyId.slice(0, 16)}`;
}

/** The signed-note signer of a node's delta-log checkpoints. */
export function deltaNoteSigner(nodeKey: Ed25519KeyPair): Ed25519NoteSigner {
  return new Ed25519NoteSigner(deltaOrigin(nodeKey), nodeKey);
}

const TIME_PREFIX = "time ";

/**
 * A C2SP tlog-checkpoint of the delta log at (size, root), with the extension line
 * `time <unix ms>`: when it was signed, so a reader can refuse a frozen log.
 */
export function signDeltaCheckpoint(signer: Ed25519NoteSigner, size: bigint, rootHash: Uint8Array, timeMs: number): string {
  return signNote(formatCheckpoint({ origin: signer.name, size, rootHash, extensions: [`${TIME_PREFIX}${timeMs}`] }), [signer]);
}

/** A verified delta checkpoint with the time it was signed. */
export interface DeltaCheckpoint extends SignedCheckpoint {
  timeMs: number;
}

/**
 * Verifies a delta checkpoint under the pinned `logKey` (vkey): signature, origin (the
 * vkey's name), and a well-formed `time` line. Throws DeltaError unknown_key (signed by
 * another key) or bad_signature / malformed_batch.
 */
export function openDeltaCheckpoint(note: string, logKey: string): DeltaCheckpoint {
  const verifier = Ed25519NoteVerifier.fromVerifierKey(logKey);
  let opened: SignedCheckpoint;
  try {
    opened = openCheckpoint(note, { origin: verifier.name, logVerifier: verifier });
  } catch (err) {
    if (err instanceof LedgerError && err.reason === "unknown_key") throw new DeltaError("unknown_key", `checkpoint: ${err.message}`, { cause: err });
    if (err instanceof LedgerError && err.reason === "bad_signature") throw new DeltaError("bad_signature", `checkpoint: ${err.message}`, { cause: err });
    throw new DeltaError("malformed_batch", `checkpoint: ${(err as Error).message}`, { cause: err });
  }
  const times = opened.checkpoint.extensions.filter((e) => e.startsWith(TIME_PREFIX));
  const text = times[0]?.slice(TIME_PREFIX.length) ?? "";
  if (times.length !== 1 || !/^\d{1,16}$/.test(text)) {
    throw new DeltaError("malformed_batch", `checkpoint: needs exactly one \`time <unix ms>\` line, found ${JSON.stringify(opened.checkpoint.extensions)}`);
  }
  return { ...opened, timeMs: Number(text) };
}

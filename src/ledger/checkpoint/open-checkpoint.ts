import { LedgerError } from "../errors.js";
import { parseCheckpoint, type Checkpoint } from "./checkpoint.js";
import { openNote } from "./note.js";
import type { NoteVerifier } from "./note-key.js";

/** Whose signatures a checkpoint must carry. */
export interface CheckpointPolicy {
  /** The log's origin line; the checkpoint must name exactly this origin. */
  origin: string;
  /** The log's own key. */
  logVerifier: NoteVerifier;
  /** Known witnesses (cosignature/v1 verifiers). */
  witnesses?: readonly NoteVerifier[];
  /** How many distinct known witnesses must have cosigned; default 0. */
  witnessQuorum?: number;
}

/** A checkpoint whose signatures verified under a policy, with its note. */
export interface SignedCheckpoint {
  checkpoint: Checkpoint;
  note: string;
  /** Names of the witnesses whose cosignatures verified. */
  witnesses: string[];
}

/**
 * Verifies a signed checkpoint note: strict parse, a valid signature by the log key,
 * the expected origin, and at least `witnessQuorum` valid witness cosignatures.
 * Throws malformed_note / malformed_checkpoint / bad_signature / unknown_key.
 */
export function openCheckpoint(note: string | Uint8Array, policy: CheckpointPolicy): SignedCheckpoint {
  const witnesses = policy.witnesses ?? [];
  const { text, verifiedBy } = openNote(note, [policy.logVerifier, ...witnesses]);
  if (!verifiedBy.includes(policy.logVerifier)) {
    throw new LedgerError("unknown_key", `checkpoint is not signed by the log key ${policy.logVerifier.name}`);
  }
  const checkpoint = parseCheckpoint(text);
  if (checkpoint.origin !== policy.origin) {
    throw new LedgerError("malformed_checkpoint", `checkpoint origin ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(policy.origin)}`);
  }
  const cosigned = verifiedBy.filter((v) => v !== policy.logVerifier).map((v) => v.name);
  const quorum = policy.witnessQuorum ?? 0;
  if (cosigned.length < quorum) {
    throw new LedgerError("unknown_key", `checkpoint has ${cosigned.length} witness cosignatures, quorum is ${quorum}`);
  }
  const noteText = typeof note === "string" ? note : new TextDecoder().decode(note);
  return { checkpoint, note: noteText, witnesses: cosigned };
}

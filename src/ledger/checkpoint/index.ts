export { formatCheckpoint, parseCheckpoint } from "./checkpoint.js";
export type { Checkpoint } from "./checkpoint.js";
export { CheckpointSigner } from "./checkpoint-signer.js";
export type { SignedTreeHead } from "./checkpoint-signer.js";
export { CheckpointVerifier } from "./checkpoint-verifier.js";
export { CosignatureSigner, CosignatureVerifier, cosignedMessage } from "./cosignature.js";
export { Ed25519NoteSigner, Ed25519NoteVerifier } from "./ed25519-note-signer.js";
export {
  SIG_TYPE_COSIGNATURE_V1,
  SIG_TYPE_ED25519,
  computeKeyId,
  formatVerifierKey,
  parseVerifierKey,
} from "./note-key.js";
export type { NoteSigner, NoteVerifier, VerifierKeyParts } from "./note-key.js";
export { MAX_NOTE_SIGNATURES, addNoteSignatures, formatNote, openNote, parseNote, signNote } from "./note.js";
export type { Note, NoteSignature } from "./note.js";
export { openCheckpoint } from "./open-checkpoint.js";
export type { CheckpointPolicy, SignedCheckpoint } from "./open-checkpoint.js";

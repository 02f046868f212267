import { fromBase64Strict, toBase64 } from "../bytes.js";
import { LedgerError } from "../errors.js";
import { checkKeyName, type NoteSigner, type NoteVerifier } from "./note-key.js";

/** At most this many signature lines are accepted (the spec requires accepting 16). */
export const MAX_NOTE_SIGNATURES = 100;

/** One signature line of a note. */
export interface NoteSignature {
  name: string;
  keyId: number;
  /** Signature bytes after the 4-byte key id. */
  signature: Uint8Array;
}

/** A parsed (not yet verified) signed note. */
export interface Note {
  /** The signed text, ending in a newline. */
  text: string;
  signatures: NoteSignature[];
}

const EM_DASH = "\u2014";
const malformed = (msg: string) => new LedgerError("malformed_note", msg);

/**
 * Parses a C2SP signed note strictly. Rejects: invalid UTF-8, control characters other
 * than newline, a missing final newline, no blank separator line, zero or more than
 * MAX_NOTE_SIGNATURES signatures, lines that are not `— <name> <base64>` (trailing
 * garbage), bad key names and non-canonical base64. Verifies nothing.
 */
export function parseNote(input: string | Uint8Array): Note {
  let note: string;
  if (typeof input === "string") note = input;
  else {
    try {
      note = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(input);
    } catch {
      throw malformed("note is not valid UTF-8");
    }
  }
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) throw malformed("note contains a control character other than newline");
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(note)) throw malformed("note contains an unpaired surrogate");
  if (!note.endsWith("\n")) throw malformed("note does not end with a newline");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw malformed("note has no blank line before its signatures");
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split("\n");
  if (lines.length > MAX_NOTE_SIGNATURES) throw malformed(`note has ${lines.length} signature lines, more than ${MAX_NOTE_SIGNATURES}`);
  const signatures = lines.map((line, i) => parseSignatureLine(line, i));
  return { text, signatures };
}

function parseSignatureLine(line: string, i: number): NoteSignature {
  const m = /^\u2014 ([^ ]+) ([^ ]+)$/u.exec(line);
  if (m === null) throw malformed(`signature line ${i} is not "— <name> <base64>": ${JSON.stringify(line.slice(0, 80))}`);
  const name = m[1]!;
  checkKeyName(name);
  const raw = fromBase64Strict(m[2]!);
  if (raw === undefined) throw malformed(`signature line ${i} (${name}): invalid base64`);
  if (raw.length < 5) throw malformed(`signature line ${i} (${name}): ${raw.length} bytes, need a 4-byte key id and a signature`);
  const keyId = new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0);
  return { name, keyId, signature: raw.subarray(4) };
}

/** Formats a note: text, blank line, one line per signature. Requires text ending in a newline. */
export function formatNote(note: Note): string {
  const lines = note.signatures.map((s) => {
    const raw = new Uint8Array(4 + s.signature.length);
    new DataView(raw.buffer).setUint32(0, s.keyId);
    raw.set(s.signature, 4);
    return `${EM_DASH} ${s.name} ${toBase64(raw)}\n`;
  });
  return `${note.text}\n${lines.join("")}`;
}

/** Signs `text` (must end in a newline and contain no blank-line separator issues) with each signer. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (!text.endsWith("\n")) throw malformed("note text must end with a newline");
  const bytes = new TextEncoder().encode(text);
  return formatNote({ text, signatures: signers.map((s) => ({ name: s.name, keyId: s.keyId, signature: s.sign(bytes) })) });
}

/** Adds signatures (e.g. witness cosignatures) to an already signed note. */
export function addNoteSignatures(note: string, signers: readonly NoteSigner[]): string {
  const parsed = parseNote(note);
  const bytes = new TextEncoder().encode(parsed.text);
  const extra = signers.map((s) => ({ name: s.name, keyId: s.keyId, signature: s.sign(bytes) }));
  return formatNote({ text: parsed.text, signatures: [...parsed.signatures, ...extra] });
}

/**
 * Opens a note: parses it strictly and verifies every signature whose (name, key id)
 * matches a known verifier. Unknown signatures are ignored (C2SP signed-note); a bad
 * signature from a known key rejects the whole note (bad_signature); two signatures of
 * one known key are malformed; no verified known signature is unknown_key.
 * Returns the text and the verifiers whose signatures verified.
 */
export function openNote(input: string | Uint8Array, verifiers: readonly NoteVerifier[]): { text: string; verifiedBy: NoteVerifier[] } {
  const note = parseNote(input);
  const bytes = new TextEncoder().encode(note.text);
  const verifiedBy: NoteVerifier[] = [];
  for (const sig of note.signatures) {
    const v = verifiers.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (v === undefined) continue;
    if (verifiedBy.includes(v)) throw malformed(`two signatures by key ${sig.name}`);
    if (!v.verify(bytes, sig.signature)) throw new LedgerError("bad_signature", `signature by ${sig.name} (key id ${sig.keyId.toString(16).padStart(8, "0")}) does not verify`);
    verifiedBy.push(v);
  }
  if (verifiedBy.length === 0) {
    const names = note.signatures.map((s) => s.name).join(", ");
    throw new LedgerError("unknown_key", `no signature by a known key (signed by: ${names})`);
  }
  return { text: note.text, verifiedBy };
}

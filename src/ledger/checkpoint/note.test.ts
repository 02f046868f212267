import { describe, expect, it } from "vitest";
import { fromBase64Strict } from "../bytes.js";
import { LedgerError } from "../errors.js";
import { CosignatureSigner } from "./cosignature.js";
import { Ed25519NoteSigner, Ed25519NoteVerifier } from "./ed25519-note-signer.js";
import { addNoteSignatures, openNote, parseNote, signNote } from "./note.js";

// Interop vector from golang.org/x/mod/sumdb/note (the reference implementation).
const GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_SKEY_SEED = fromBase64Strict("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")!.subarray(1);
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

const reason = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof LedgerError) return err.reason;
    throw err;
  }
  return "accepted";
};

describe("signed notes", () => {
  it("interoperates with the Go sumdb/note vector: same key id, same signature", () => {
    const signer = Ed25519NoteSigner.fromSeed("PeterNeumann", GO_SKEY_SEED);
    expect(signer.verifierKey()).toBe(GO_VKEY);
    expect(signNote(GO_TEXT, [signer])).toBe(GO_NOTE);
    const v = Ed25519NoteVerifier.fromVerifierKey(GO_VKEY);
    expect(openNote(GO_NOTE, [v]).text).toBe(GO_TEXT);
  });

  it("ignores unknown keys but requires one known signature", () => {
    const other = Ed25519NoteSigner.generate("other.example/k");
    const v = Ed25519NoteVerifier.fromVerifierKey(GO_VKEY);
    const both = addNoteSignatures(GO_NOTE, [other]);
    expect(openNote(both, [v]).verifiedBy).toEqual([v]);
    expect(reason(() => openNote(signNote(GO_TEXT, [other]), [v]))).toBe("unknown_key");
  });

  it("rejects malformed notes by how they were altered", () => {
    const v = Ed25519NoteVerifier.fromVerifierKey(GO_VKEY);
    const cases: Record<string, string> = {
      "trailing-garbage": `${GO_NOTE}garbage\n`,
      "missing-final-newline": GO_NOTE.slice(0, -1),
      "no-blank-line": GO_NOTE.replace("\n\n", "\n"),
      "bad-base64": GO_NOTE.replace("x08go/", "x08go*"),
      "non-canonical-base64": GO_NOTE.replace("AM=\n", "AN=\n"),
      "hyphen-instead-of-em-dash": GO_NOTE.replace("—", "-"),
      "control-character": GO_NOTE.replace("cryptography", "crypto\tgraphy"),
      "too-many-signatures": GO_NOTE + GO_NOTE.slice(GO_NOTE.indexOf("—")).repeat(100),
      "duplicate-signature": GO_NOTE + GO_NOTE.slice(GO_NOTE.indexOf("—")),
    };
    for (const [name, note] of Object.entries(cases)) {
      expect(reason(() => openNote(note, [v])), name).toBe("malformed_note");
    }
    expect(reason(() => openNote(GO_NOTE.replace("problem,", "problem;"), [v]))).toBe("bad_signature");
    expect(reason(() => parseNote(new Uint8Array([0xff, 0x0a, 0x0a])))).toBe("malformed_note");
  });

  it("cosignatures use type 0x04 with an 8-byte timestamp and verify against the body", () => {
    const w = CosignatureSigner.fromSeed("witness.example/w1", new Uint8Array(32).fill(7), () => 1679315147n);
    const note = addNoteSignatures(GO_NOTE, [w]);
    const sig = parseNote(note).signatures[1]!;
    expect(sig.signature.length).toBe(72);
    const wv = w.verifier();
    expect(openNote(note, [wv]).verifiedBy).toEqual([wv]);
    expect(wv.lastTimestamp).toBe(1679315147n);
    expect(fromBase64Strict(w.verifierKey().split("+")[2]!)![0]).toBe(0x04);
  });
});

import { equalBytes, toHex } from "../bytes.js";
import { LedgerError } from "../errors.js";
import { verifyConsistency } from "../merkle/verify-consistency.js";
import { formatCheckpoint, type Checkpoint } from "./checkpoint.js";
import { signNote } from "./note.js";
import type { NoteSigner } from "./note-key.js";

/** The tree head a log last signed; persist it with the log. */
export interface SignedTreeHead {
  size: bigint;
  rootHash: Uint8Array;
}

/**
 * The log side of checkpoints: signs tree heads under the log key and refuses to sign
 * one that is inconsistent with the last one it signed (C2SP tlog-checkpoint: "a log
 * MUST not sign any checkpoint which is inconsistent with any checkpoint it previously
 * signed"). Requires `lastSigned` to be restored from storage when the log restarts.
 */
export class CheckpointSigner {
  constructor(
    readonly origin: string,
    private readonly signer: NoteSigner,
    private last: SignedTreeHead | undefined = undefined,
  ) {}

  get lastSigned(): SignedTreeHead | undefined {
    return this.last;
  }

  /**
   * Signs the checkpoint (size, rootHash). `proof` is the consistency proof from the
   * last signed size to `size`, computed from the log's own store. Throws
   * inconsistent_checkpoint (and signs nothing) on a smaller size, a different root at
   * the same size, or a proof that does not verify.
   */
  sign(size: bigint, rootHash: Uint8Array, proof: readonly Uint8Array[], extensions: string[] = []): string {
    const last = this.last;
    if (last !== undefined) {
      const refuse = (why: string, cause?: unknown) =>
        new LedgerError("inconsistent_checkpoint", `refusing to sign size ${size} root ${toHex(rootHash)}: ${why} (last signed size ${last.size} root ${toHex(last.rootHash)})`, { cause });
      if (size < last.size) throw refuse("smaller than the last signed size");
      if (size === last.size && !equalBytes(rootHash, last.rootHash)) throw refuse("different root at the same size");
      try {
        verifyConsistency(last.size, size, last.rootHash, rootHash, proof);
      } catch (err) {
        throw refuse("consistency proof does not verify", err);
      }
    }
    const cp: Checkpoint = { origin: this.origin, size, rootHash, extensions };
    const note = signNote(formatCheckpoint(cp), [this.signer]);
    this.last = { size, rootHash: Uint8Array.from(rootHash) };
    return note;
  }
}

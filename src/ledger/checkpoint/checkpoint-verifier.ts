import { equalBytes, toHex } from "../bytes.js";
import { LedgerError } from "../errors.js";
import { verifyConsistency } from "../merkle/verify-consistency.js";
import { openCheckpoint, type CheckpointPolicy, type SignedCheckpoint } from "./open-checkpoint.js";

/**
 * A client's trust state for one log: the last checkpoint it trusted. Every newer
 * checkpoint must be signed under the policy and proven consistent with it, so the
 * client detects a rollback (a smaller tree) and a split view (a different root at the
 * same size, or a tree that does not extend the trusted one).
 */
export class CheckpointVerifier {
  private current: SignedCheckpoint | undefined;

  /** `trusted`: a previously trusted checkpoint note, re-verified under `policy`. */
  constructor(private readonly policy: CheckpointPolicy, trusted?: string) {
    if (trusted !== undefined) this.current = openCheckpoint(trusted, policy);
  }

  /** The last trusted checkpoint, if any (persist its `note` to keep the state). */
  get trusted(): SignedCheckpoint | undefined {
    return this.current;
  }

  /**
   * Verifies `note` and, when it is consistent with the trusted checkpoint via `proof`
   * (the consistency proof from the trusted size to the new size), makes it the trusted
   * checkpoint. Throws rollback when the new size is smaller, split_view when the roots
   * disagree, and the errors of openCheckpoint for bad signatures. A checkpoint equal to
   * the trusted one is accepted and changes nothing.
   */
  update(note: string | Uint8Array, proof: readonly Uint8Array[]): SignedCheckpoint {
    const next = openCheckpoint(note, this.policy);
    const prev = this.current;
    if (prev !== undefined) {
      const a = prev.checkpoint;
      const b = next.checkpoint;
      if (b.size < a.size) {
        throw new LedgerError("rollback", `rollback: checkpoint size ${b.size} < trusted size ${a.size}`);
      }
      if (b.size === a.size && !equalBytes(a.rootHash, b.rootHash)) {
        throw new LedgerError("split_view", `split view: size ${b.size} has root ${toHex(b.rootHash)} but trusted root is ${toHex(a.rootHash)}`);
      }
      try {
        verifyConsistency(a.size, b.size, a.rootHash, b.rootHash, proof);
      } catch (err) {
        throw new LedgerError("split_view", `split view: checkpoint size ${b.size} is not proven consistent with trusted size ${a.size}: ${(err as Error).message}`, { cause: err });
      }
    }
    this.current = next;
    return next;
  }
}

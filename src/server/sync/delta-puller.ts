import { acceptDeltaBatches, acceptDeltaCheckpoint, DeltaError, parseCheckpoint, parseNote, type DeltaTrust } from "../../ledger/index.js";
import type { PeerStore } from "./peer-store.js";

/** The two calls a puller makes on a peer (its SyncService client, or a test double). */
export interface DeltaSource {
  getDeltaCheckpoint(req: { fromSize: bigint }): Promise<{ note: string; consistencyProof: Uint8Array[] }>;
  getDeltaBatches(req: { fromSequence: bigint; toSize: bigint; maxBytes: number }): Promise<{ batches: Uint8Array[]; consistencyProof: Uint8Array[] }>;
}

/** How a puller judges freshness and pages. */
export interface PullPolicy {
  /** Refuse checkpoints signed longer ago than this (ms): a frozen peer. Default 10 minutes. */
  maxCheckpointAgeMs?: number;
  /** Bytes per page of batches asked for (default 4 MiB). */
  pageBytes?: number;
  now?: () => number;
  /**
   * Asked before the checkpoint is trusted and before each page is applied: throws when
   * the peer is not (or no longer) admitted here (`PeerAuthority.requireSource`).
   */
  admit?: () => Promise<void>;
  /** Called after each committed page (tests kill a node here). */
  onPage?: (appliedSize: bigint) => void;
}

/** What one pull did. */
export interface PullResult {
  origin: string;
  /** Batches applied by this pull, and the changes they carried. */
  batches: number;
  changes: number;
  appliedSize: bigint;
  checkpoint: string;
}

const trustedSize = (trust: DeltaTrust): bigint => (trust.trustedNote === undefined ? 0n : parseCheckpoint(parseNote(trust.trustedNote).text).size);

/**
 * Pulls a peer's delta log up to a fresh checkpoint: verifies the checkpoint against the
 * trust state (key, freshness, rollback, split view), then page by page every batch
 * (signature, sequence, chain, consistency with the checkpoint), committing each page with
 * its trust state. Throws the DeltaError of the first refusal; what was committed before
 * it stays applied, once.
 */
export async function pullDeltas(source: DeltaSource, store: PeerStore, policy: PullPolicy = {}): Promise<PullResult> {
  const now = policy.now ?? Date.now;
  await policy.admit?.();
  let trust = await store.load();
  const offered = await source.getDeltaCheckpoint({ fromSize: trustedSize(trust) });
  const cp = acceptDeltaCheckpoint(trust, offered.note, offered.consistencyProof, { nowMs: now(), maxAgeMs: policy.maxCheckpointAgeMs ?? 10 * 60_000 });
  let batches = 0;
  let changes = 0;
  do {
    const from = trust.appliedSize;
    const page = from === cp.checkpoint.size
      ? { batches: [], consistencyProof: [] }
      : await source.getDeltaBatches({ fromSequence: from, toSize: cp.checkpoint.size, maxBytes: policy.pageBytes ?? 4 * 1024 * 1024 });
    if (page.batches.length === 0 && from !== cp.checkpoint.size) {
      throw new DeltaError("gap", `peer sent no batches from ${from} although its checkpoint covers ${cp.checkpoint.size}`, { sequence: from });
    }
    const accepted = acceptDeltaBatches(trust, cp, page.batches, page.consistencyProof);
    await policy.admit?.();
    await store.apply(trust, accepted.opened, accepted.trust);
    trust = accepted.trust;
    batches += accepted.opened.length;
    changes += accepted.opened.reduce((n, b) => n + b.batch.changes.length, 0);
    policy.onPage?.(trust.appliedSize);
  } while (trust.appliedSize < cp.checkpoint.size);
  return { origin: cp.checkpoint.origin, batches, changes, appliedSize: trust.appliedSize, checkpoint: cp.note };
}

import { fromBinary } from "@bufbuild/protobuf";
import { keyIdOf, publicKeyFromRaw, verifyObject } from "../../kernel/codec/index.js";
import { PerformanceSignalSchema } from "../../gen/openpassmarket/v1/signal_pb.js";
import { ActorRecordSchema } from "../../gen/openpassmarket/v1/sync_pb.js";
import { decodeSignedEntry } from "../governance/entry-codec.js";
import { GovernanceState } from "../governance/governance-state.js";
import type { DeltaState } from "./delta-state.js";
import { DeltaError } from "./delta-error.js";

/** What `verifyReplayedObjects` checked besides the batches' own signatures. */
export interface ReplayedSignatures {
  /** Signals whose adapter signature verified under the adapter key the log carries. */
  signalsVerified: number;
  /** Signals whose adapter the log does not carry (cannot be checked offline). */
  signalsWithoutKey: number;
  /** Ledger entries replayed through governance (every governor signature and threshold). */
  ledgerEntries: number;
}

/**
 * Checks the signed objects inside a replayed state: every signal against its adapter's
 * key from the `actor` records, and the ledger entries replayed in index order through
 * `GovernanceState` (governor signatures, thresholds, chain). Throws DeltaError
 * bad_signature naming the object at fault.
 */
export function verifyReplayedObjects(state: DeltaState): ReplayedSignatures {
  // One KeyObject per adapter: building it is as costly as a verification.
  const keys = new Map<string, { key: ReturnType<typeof publicKeyFromRaw>; id: string }>();
  for (const a of state.ofKind("actor")) {
    const raw = fromBinary(ActorRecordSchema, a.value).publicKey;
    keys.set(a.key, { key: publicKeyFromRaw(raw), id: keyIdOf(raw) });
  }
  let signalsVerified = 0;
  let signalsWithoutKey = 0;
  for (const s of state.ofKind("signal")) {
    const signal = fromBinary(PerformanceSignalSchema, s.value);
    const k = keys.get(signal.adapter);
    if (k === undefined) {
      signalsWithoutKey++;
      continue;
    }
    try {
      verifyObject(PerformanceSignalSchema, signal, k.key, k.id);
    } catch (err) {
      throw new DeltaError("bad_signature", `signal ${s.key}: ${(err as Error).message}`, { sequence: s.sequence, cause: err });
    }
    signalsVerified++;
  }
  const governance = new GovernanceState();
  const entries = state.ofKind("ledger_entry");
  for (const e of entries) {
    try {
      governance.apply(decodeSignedEntry(e.value, BigInt(e.key)));
    } catch (err) {
      throw new DeltaError("bad_signature", `ledger entry ${BigInt(e.key)}: ${(err as Error).message}`, { sequence: e.sequence, cause: err });
    }
  }
  return { signalsVerified, signalsWithoutKey, ledgerEntries: entries.length };
}

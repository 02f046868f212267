import { fromBinary } from "@bufbuild/protobuf";
import type { KeyObject } from "node:crypto";
import { inlineVerifier, keyIdOf, pae, publicKeyFromRaw, unsignedBytes, type SignatureVerifier } from "../../kernel/codec/index.js";
import { SignatureSchema } from "../../gen/openpassmarket/v1/common_pb.js";
import { PerformanceSignalSchema } from "../../gen/openpassmarket/v1/signal_pb.js";
import { ActorRecordSchema } from "../../gen/openpassmarket/v1/sync_pb.js";
import { decodeSignedEntry } from "../governance/entry-codec.js";
import { GovernanceState } from "../governance/governance-state.js";
import type { DeltaState, StateValue } from "./delta-state.js";
import { DeltaError } from "./delta-error.js";
import { topLevelFields } from "./wire-fields.js";

/** What `verifyReplayedObjects` checked besides the batches' own signatures. */
export interface ReplayedSignatures {
  /** Signals whose adapter signature verified under the adapter key the log carries. */
  signalsVerified: number;
  /** Signals whose adapter the log does not carry (cannot be checked offline). */
  signalsWithoutKey: number;
  /** Ledger entries replayed through governance (every governor signature and threshold). */
  ledgerEntries: number;
}

/** What one signal's signature must verify: who, with which key id, over which bytes. */
interface SignatureClaim {
  adapter: string;
  keyId: string;
  payload: Uint8Array;
  signature: Uint8Array;
}

const SIGNATURE_FIELD = PerformanceSignalSchema.fields.find((f) => f.localName === "signature")!.number;
const ADAPTER_FIELD = PerformanceSignalSchema.fields.find((f) => f.localName === "adapter")!.number;
// The fast path needs `signature` encoded last (canonical order: highest number last).
const SIGNATURE_LAST = SIGNATURE_FIELD === Math.max(...PerformanceSignalSchema.fields.map((f) => f.number));
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The claim of a stored signal, read from its canonical bytes without decoding them: the
 * signed bytes are the value up to its `signature` field, which must come last and once
 * (canonical order), so the Ed25519 check alone proves the prefix is exactly what the
 * adapter signed. Any other shape falls back to decoding and re-encoding.
 */
function claimOf(value: Uint8Array): SignatureClaim {
  const fields = SIGNATURE_LAST ? topLevelFields(value) : undefined;
  const sig = fields?.at(-1);
  const adapter = fields?.filter((f) => f.number === ADAPTER_FIELD && f.wireType === 2);
  if (fields !== undefined && sig !== undefined && sig.number === SIGNATURE_FIELD && sig.wireType === 2 && adapter !== undefined && adapter.length <= 1
    && fields.filter((f) => f.number === SIGNATURE_FIELD).length === 1) {
    const s = fromBinary(SignatureSchema, value.subarray(sig.payloadStart, sig.end));
    return {
      adapter: adapter.length === 0 ? "" : utf8.decode(value.subarray(adapter[0]!.payloadStart, adapter[0]!.end)),
      // A copy, not a view: a view would take its whole batch buffer with it to the worker.
      keyId: s.keyId, signature: s.signature.slice(), payload: pae(PerformanceSignalSchema.typeName, value.subarray(0, sig.start)),
    };
  }
  const signal = fromBinary(PerformanceSignalSchema, value);
  return {
    adapter: signal.adapter, keyId: signal.signature?.keyId ?? "", signature: signal.signature?.signature.slice() ?? new Uint8Array(),
    payload: pae(PerformanceSignalSchema.typeName, unsignedBytes(PerformanceSignalSchema, signal)),
  };
}

/**
 * Checks the signed objects inside a replayed state: every signal against its adapter's
 * key from the `actor` records — the Ed25519 checks go to `verifier` (a `VerifyPool`
 * spreads them over the cores) —, and the ledger entries replayed in index order through
 * `GovernanceState` (governor signatures, thresholds, chain). Throws DeltaError
 * bad_signature naming the first object at fault in key order.
 */
export async function verifyReplayedObjects(state: DeltaState, verifier: SignatureVerifier = inlineVerifier): Promise<ReplayedSignatures> {
  // One KeyObject per adapter: building it is as costly as a verification.
  const keys = new Map<string, { key: KeyObject; id: string }>();
  for (const a of state.ofKind("actor")) {
    const raw = fromBinary(ActorRecordSchema, a.value).publicKey;
    keys.set(a.key, { key: publicKeyFromRaw(raw), id: keyIdOf(raw) });
  }
  let signalsWithoutKey = 0;
  const checks: Array<Promise<{ s: StateValue; error?: string }>> = [];
  let prepared = 0;
  for (const s of state.values.values()) {
    if (s.kind !== "signal") continue;
    // Hand the checks prepared so far to the verifier's threads while preparing the next.
    if (++prepared % 4096 === 0) await new Promise((resolve) => setImmediate(resolve));
    let claim: SignatureClaim;
    try {
      claim = claimOf(s.value);
    } catch (err) {
      checks.push(Promise.resolve({ s, error: `not a signed PerformanceSignal: ${(err as Error).message}` }));
      continue;
    }
    const k = keys.get(claim.adapter);
    if (k === undefined) {
      signalsWithoutKey++;
      continue;
    }
    if (claim.keyId !== k.id) {
      checks.push(Promise.resolve({ s, error: `signed by key ${claim.keyId || "(none)"}, but adapter ${claim.adapter} has key ${k.id}` }));
      continue;
    }
    checks.push(verifier.verify(k.key, claim.payload, claim.signature).then((ok) => (ok ? { s } : { s, error: "signature does not verify" })));
  }
  const results = await Promise.all(checks);
  const failed = results.filter((r) => r.error !== undefined).sort((x, y) => (x.s.key < y.s.key ? -1 : 1))[0];
  if (failed !== undefined) throw new DeltaError("bad_signature", `signal ${failed.s.key}: ${failed.error}`, { sequence: failed.s.sequence });
  const governance = new GovernanceState();
  const entries = state.ofKind("ledger_entry");
  for (const e of entries) {
    try {
      governance.apply(decodeSignedEntry(e.value, BigInt(e.key)));
    } catch (err) {
      throw new DeltaError("bad_signature", `ledger entry ${BigInt(e.key)}: ${(err as Error).message}`, { sequence: e.sequence, cause: err });
    }
  }
  return { signalsVerified: results.length, signalsWithoutKey, ledgerEntries: entries.length };
}

import { fromBinary } from "@bufbuild/protobuf";
import type { KeyObject } from "node:crypto";
import { inlineVerifier, keyIdOf, pae, publicKeyFromRaw, unsignedBytes, type SignatureVerifier } from "../../kernel/codec/index.js";
import { SignatureSchema } from "../../gen/openpassmarket/v1/common_pb.js";
import { PerformanceSignalSchema } from "../../gen/openpassmarket/v1/signal_pb.js";
import { ActorRecordSchema, type DeltaBatch } from "../../gen/openpassmarket/v1/sync_pb.js";
import { decodeSignedEntry } from "../governance/entry-codec.js";
import { GovernanceState } from "../governance/governance-state.js";
import type { DeltaState, StateValue } from "./delta-state.js";
import { DeltaError } from "./delta-error.js";
import { topLevelFields, type WireField } from "./wire-fields.js";

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

const KEY_ID_FIELD = SignatureSchema.fields.find((f) => f.localName === "keyId")!.number;
const SIGNATURE_BYTES_FIELD = SignatureSchema.fields.find((f) => f.localName === "signature")!.number;

/**
 * A `Signature`'s key id and bytes read off the wire as `fromBinary` would (the last of a
 * repeated field wins), without building a message: a replay reads 10^5 of them.
 */
function signatureOf(bytes: Uint8Array): { keyId: string; signature: Uint8Array } {
  let keyId = "";
  let signature: Uint8Array = new Uint8Array();
  for (const f of topLevelFields(bytes)) {
    if (f.wireType !== 2) continue;
    if (f.number === KEY_ID_FIELD) keyId = utf8.decode(bytes.subarray(f.payloadStart, f.end));
    else if (f.number === SIGNATURE_BYTES_FIELD) signature = bytes.subarray(f.payloadStart, f.end);
  }
  return { keyId, signature };
}

/**
 * The claim of a stored signal, read from its canonical bytes without decoding them: the
 * signed bytes are the value up to its `signature` field, which must come last and once
 * (canonical order), so the Ed25519 check alone proves the prefix is exactly what the
 * adapter signed. Any other shape falls back to decoding and re-encoding.
 */
function claimOf(value: Uint8Array): SignatureClaim {
  const fields = SIGNATURE_LAST ? topLevelFields(value) : [];
  const sig = fields.at(-1);
  let adapter: WireField | undefined;
  let adapters = 0;
  let signatures = 0;
  for (const f of fields) {
    if (f.number === ADAPTER_FIELD && f.wireType === 2) [adapter, adapters] = [f, adapters + 1];
    if (f.number === SIGNATURE_FIELD) signatures++;
  }
  if (sig !== undefined && sig.number === SIGNATURE_FIELD && sig.wireType === 2 && adapters <= 1 && signatures === 1) {
    const s = signatureOf(value.subarray(sig.payloadStart, sig.end));
    return {
      adapter: adapter === undefined ? "" : utf8.decode(value.subarray(adapter.payloadStart, adapter.end)),
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

/** A signal check under way: the value checked and the adapter key id it was checked under. */
interface StartedCheck {
  value: Uint8Array;
  adapter: string;
  keyId: string;
  result: Promise<string | undefined>;
}

/** An adapter's key as the log's `actor` record gives it. */
interface AdapterKey {
  key: KeyObject;
  id: string;
}

// One KeyObject per adapter: building it is as costly as a verification.
function adapterKey(record: Uint8Array): AdapterKey {
  const raw = fromBinary(ActorRecordSchema, record).publicKey;
  return { key: publicKeyFromRaw(raw), id: keyIdOf(raw) };
}

/** A signal's claim, or why its bytes are not one. */
function claimed(value: Uint8Array): SignatureClaim | { error: string } {
  try {
    return claimOf(value);
  } catch (err) {
    return { error: `not a signed PerformanceSignal: ${(err as Error).message}` };
  }
}

/**
 * The signed objects inside a replayed state: every signal against its adapter's key from
 * the `actor` records — the Ed25519 checks go to `verifier` (a `VerifyPool` spreads them
 * over the cores) —, and the ledger entries replayed in index order through
 * `GovernanceState` (governor signatures, thresholds, chain).
 *
 * `observe` each batch as the log is opened to start the signals' checks while the rest
 * is still being read (a signal whose adapter record came earlier in the log); `finish`
 * then checks what was not started — or was started under a key the final state no
 * longer holds — and throws DeltaError bad_signature naming the first object at fault in
 * key order. Only the final state's values count: a check started on a value later
 * replaced is not used.
 */
export class ReplayedSignatureChecks {
  private readonly keys = new Map<string, AdapterKey>();
  private readonly started = new Map<string, StartedCheck>();

  constructor(private readonly verifier: SignatureVerifier = inlineVerifier) {}

  /** Starts the checks of one opened batch's signals whose adapter key is known so far. */
  observe(batch: DeltaBatch): void {
    for (const c of batch.changes) {
      if (c.kind === "actor") this.keys.set(c.key, adapterKey(c.value));
      if (c.kind !== "signal") continue;
      const claim = claimed(c.value);
      // A malformed signal, or one whose adapter record comes later: `finish` judges it.
      if ("error" in claim) continue;
      const key = this.keys.get(claim.adapter);
      if (key === undefined) continue;
      this.started.set(c.key, { value: c.value, adapter: claim.adapter, keyId: key.id, result: this.check(claim, key) });
    }
  }

  async finish(state: DeltaState): Promise<ReplayedSignatures> {
    const keys = new Map<string, AdapterKey>();
    for (const a of state.ofKind("actor")) keys.set(a.key, this.keys.get(a.key) ?? adapterKey(a.value));
    let signalsWithoutKey = 0;
    const checks: Array<{ s: StateValue; result: Promise<string | undefined> }> = [];
    for (const s of state.values.values()) {
      if (s.kind !== "signal") continue;
      const early = this.started.get(s.key);
      if (early !== undefined && early.value === s.value && early.keyId === keys.get(early.adapter)?.id) {
        checks.push({ s, result: early.result });
        continue;
      }
      const claim = claimed(s.value);
      if ("error" in claim) {
        checks.push({ s, result: Promise.resolve(claim.error) });
        continue;
      }
      const key = keys.get(claim.adapter);
      if (key === undefined) signalsWithoutKey++;
      else checks.push({ s, result: this.check(claim, key) });
    }
    const errors = await Promise.all(checks.map((c) => c.result));
    let failed: { s: StateValue; error: string } | undefined;
    errors.forEach((error, i) => {
      const s = checks[i]!.s;
      if (error !== undefined && (failed === undefined || s.key < failed.s.key)) failed = { s, error };
    });
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
    return { signalsVerified: checks.length, signalsWithoutKey, ledgerEntries: entries.length };
  }

  /** One signal's check: undefined when it verifies, else why not. */
  private check(claim: SignatureClaim, key: AdapterKey): Promise<string | undefined> {
    if (claim.keyId !== key.id) return Promise.resolve(`signed by key ${claim.keyId || "(none)"}, but adapter ${claim.adapter} has key ${key.id}`);
    return this.verifier.verify(key.key, claim.payload, claim.signature).then((ok) => (ok ? undefined : "signature does not verify"));
  }
}

/** Checks every signed object of an already folded state (see `ReplayedSignatureChecks`). */
export function verifyReplayedObjects(state: DeltaState, verifier: SignatureVerifier = inlineVerifier): Promise<ReplayedSignatures> {
  return new ReplayedSignatureChecks(verifier).finish(state);
}

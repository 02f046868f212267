import { create, toBinary } from "@bufbuild/protobuf";
import type { DeltaBatch } from "../../gen/openpassmarket/v1/sync_pb.js";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalBytes, generateEd25519, objectId, signObject, VerifyPool } from "../../kernel/codec/index.js";
import { PerformanceSignalSchema, type PerformanceSignal } from "../../gen/openpassmarket/v1/signal_pb.js";
import { ActorRecordSchema, DeltaBatchSchema, DeltaChangeSchema } from "../../gen/openpassmarket/v1/sync_pb.js";
import { DeltaError } from "./delta-error.js";
import { DeltaState } from "./delta-state.js";
import { ReplayedSignatureChecks, verifyReplayedObjects } from "./verify-replayed.js";
import { topLevelFields } from "./wire-fields.js";

const adapterKey = generateEd25519();
const signal = (i: number): PerformanceSignal => signObject(PerformanceSignalSchema, create(PerformanceSignalSchema, {
  problemId: "p", achieved: 100 + i, pipeline: [{ pass: `pass-${i}` }], adapter: "ad", measuredAtMs: BigInt(i),
}), "ad", adapterKey);

/** A replayed state holding adapter `ad` and the given signal values (canonical bytes unless given raw). */
function stateOf(values: Uint8Array[]): DeltaState {
  const state = new DeltaState();
  state.apply(create(DeltaBatchSchema, {
    sequence: 0n,
    changes: [
      create(DeltaChangeSchema, { kind: "actor", key: "ad", value: canonicalBytes(ActorRecordSchema, create(ActorRecordSchema, { name: "ad", kind: "adapter", publicKey: adapterKey.publicKeyRaw })) }),
      ...values.map((value, i) => create(DeltaChangeSchema, { kind: "signal", key: `s${String(i).padStart(3, "0")}`, value })),
    ],
  }));
  return state;
}

describe("verifyReplayedObjects", () => {
  const pool = new VerifyPool(2);
  afterAll(() => pool.close());
  const good = Array.from({ length: 50 }, (_, i) => canonicalBytes(PerformanceSignalSchema, signal(i)));

  it("verifies every signal from its stored bytes, inline and on worker threads", async () => {
    expect(await verifyReplayedObjects(stateOf(good))).toEqual({ signalsVerified: 50, signalsWithoutKey: 0, ledgerEntries: 0 });
    expect(await verifyReplayedObjects(stateOf(good), pool)).toEqual({ signalsVerified: 50, signalsWithoutKey: 0, ledgerEntries: 0 });
  });

  it("refuses a changed byte in the signed prefix, naming the first bad signal in key order", async () => {
    const bad = good.map((v) => Uint8Array.from(v));
    for (const i of [30, 7]) {
      const f = topLevelFields(bad[i]!).find((x) => x.number === 4)!; // achieved
      bad[i]![f.payloadStart]! ^= 1;
    }
    const err = await verifyReplayedObjects(stateOf(bad), pool).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeltaError);
    expect((err as DeltaError).reason).toBe("bad_signature");
    expect((err as DeltaError).message).toMatch(/^signal s007: signature does not verify/);
  });

  it("refuses a signal signed by another key, and a field placed after the signature", async () => {
    const other = signObject(PerformanceSignalSchema, create(PerformanceSignalSchema, { problemId: "p", adapter: "ad" }), "ad", generateEd25519());
    await expect(verifyReplayedObjects(stateOf([canonicalBytes(PerformanceSignalSchema, other)]))).rejects.toThrow(/signal s000: signed by key .* but adapter ad has key/);
    // Non-canonical order (job_id after the signature) takes the decoding path: the
    // signature covers no job id, so it fails rather than vouching for the extra field.
    const s = signal(1);
    const extra = toBinary(PerformanceSignalSchema, create(PerformanceSignalSchema, { jobId: "smuggled" }));
    const value = new Uint8Array([...canonicalBytes(PerformanceSignalSchema, s), ...extra]);
    expect(objectId(PerformanceSignalSchema, s)).not.toBe("");
    await expect(verifyReplayedObjects(stateOf([value]), pool)).rejects.toThrow(/signal s000: signature does not verify/);
  });

  it("reads top-level fields and refuses truncated input", () => {
    const fields = topLevelFields(good[0]!);
    expect(fields.at(-1)?.number).toBe(15);
    expect(() => topLevelFields(good[0]!.subarray(0, good[0]!.length - 3))).toThrow(/runs past the end/);
  });

  describe("checks started while the log is read (observe, then finish)", () => {
    const actor = (key: Uint8Array) => create(DeltaChangeSchema, {
      kind: "actor", key: "ad", value: canonicalBytes(ActorRecordSchema, create(ActorRecordSchema, { name: "ad", kind: "adapter", publicKey: key })),
    });
    const batch = (sequence: bigint, changes: ReturnType<typeof actor>[]): DeltaBatch => create(DeltaBatchSchema, { sequence, changes });
    const signalChange = (key: string, value: Uint8Array) => create(DeltaChangeSchema, { kind: "signal", key, value });
    /** Replays `batches` the way `opm replay` does: each batch applied and observed, then finish. */
    const replay = (batches: DeltaBatch[]) => {
      const state = new DeltaState();
      const checks = new ReplayedSignatureChecks(pool);
      for (const b of batches) {
        state.apply(b);
        checks.observe(b);
      }
      return checks.finish(state);
    };

    it("agrees with the checks of a folded state", async () => {
      const batches = [batch(0n, [actor(adapterKey.publicKeyRaw), ...good.slice(0, 25).map((v, i) => signalChange(`s${i}`, v))]),
        batch(1n, good.slice(25).map((v, i) => signalChange(`s${25 + i}`, v)))];
      expect(await replay(batches)).toEqual({ signalsVerified: 50, signalsWithoutKey: 0, ledgerEntries: 0 });
      // A signal read before its adapter's record is checked at the end, not skipped.
      const late = [batch(0n, [signalChange("s0", good[0]!)]), batch(1n, [actor(adapterKey.publicKeyRaw)])];
      expect(await replay(late)).toEqual({ signalsVerified: 1, signalsWithoutKey: 0, ledgerEntries: 0 });
    });

    it("judges each signal under its adapter's final key, and only the final value of each key", async () => {
      const rotated = generateEd25519();
      const byRotated = canonicalBytes(PerformanceSignalSchema, signObject(PerformanceSignalSchema, create(PerformanceSignalSchema, { problemId: "p", adapter: "ad" }), "ad", rotated));
      // Read under the old key (a mismatch then), the log's final record names the new one: it verifies.
      expect(await replay([batch(0n, [actor(adapterKey.publicKeyRaw), signalChange("s0", byRotated)]), batch(1n, [actor(rotated.publicKeyRaw)])]))
        .toEqual({ signalsVerified: 1, signalsWithoutKey: 0, ledgerEntries: 0 });
      // The other way round, a signal that verified when read fails under the final key.
      await expect(replay([batch(0n, [actor(adapterKey.publicKeyRaw), signalChange("s0", good[0]!)]), batch(1n, [actor(rotated.publicKeyRaw)])]))
        .rejects.toThrow(/signal s0: signed by key .* but adapter ad has key/);
      // A bad value a later batch replaced is not the state's: it does not count.
      const tampered = Uint8Array.from(good[1]!);
      tampered[topLevelFields(tampered).find((x) => x.number === 4)!.payloadStart]! ^= 1;
      expect(await replay([batch(0n, [actor(adapterKey.publicKeyRaw), signalChange("s0", tampered)]), batch(1n, [signalChange("s0", good[1]!)])]))
        .toEqual({ signalsVerified: 1, signalsWithoutKey: 0, ledgerEntries: 0 });
      await expect(replay([batch(0n, [actor(adapterKey.publicKeyRaw), signalChange("s0", good[1]!)]), batch(1n, [signalChange("s0", tampered)])]))
        .rejects.toThrow(/signal s0: signature does not verify/);
    });
  });
});

// Delta-sync and replay figures for bench/RESULTS.md:
//   npx tsx bench/sync/sync-bench.ts [DELTAS] [NODE_SIGNALS]
// 1. Replay: a delta log of DELTAS signal changes (real signed PerformanceSignals, 1024 per
//    batch) exported, then `replayDeltaExport` + signature checks + state root, 3 runs; the
//    baseline is decoding the same file's records without verifying anything.
// 2. Sync: NODE_SIGNALS signals committed on node A (PGlite, in process), batched, then
//    pulled and applied by node B over mTLS; deltas/s of the pull, against A's batching.
import { canonicalBytes, generateEd25519, objectId } from "../../src/kernel/codec/index.js";
import { createLogger } from "../../src/kernel/logger/index.js";
import { issueIdentity, loadNodeCa } from "../../src/kernel/pki/index.js";
import { create } from "@bufbuild/protobuf";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeltaChangeSchema } from "../../src/gen/openpassmarket/v1/sync_pb.js";
import { LocalProblemSchema, Visibility } from "../../src/gen/openpassmarket/v1/problem_pb.js";
import { PerformanceSignalSchema } from "../../src/gen/openpassmarket/v1/signal_pb.js";
import { ActorRecordSchema } from "../../src/gen/openpassmarket/v1/sync_pb.js";
import {
  deltaExportBatches, deltaExportCheckpoint, deltaExportHeader, deltaNoteSigner, deltaOrigin, MemoryTreeStore, readExportRecords,
  replayDeltaExport, rootAt, signDeltaBatch, signDeltaCheckpoint, verifyReplayedObjects, ZERO_HASH,
} from "../../src/ledger/index.js";
import { startRegistryNode } from "../../src/server/node/index.js";
import { llvmProblem, signedSignal } from "../../test/support/fixtures.js";

const DELTAS = Number(process.argv[2] ?? 100_000);
const NODE_SIGNALS = Number(process.argv[3] ?? 5_000);

async function replayBench(): Promise<void> {
  const node = generateEd25519();
  const adapterKeys = generateEd25519();
  const adapter = { name: "bench-adapter", keys: adapterKeys } as never;
  const problem = llvmProblem("alice", "bench", "14.0.6", Visibility.PUBLIC);
  const origin = deltaOrigin(node);
  const tree = new MemoryTreeStore();
  const parts: Uint8Array[] = [deltaExportHeader(origin, deltaNoteSigner(node).verifierKey())];
  let prev: Uint8Array = ZERO_HASH;
  let seq = 0n;
  let pending = [create(DeltaChangeSchema, { kind: "actor", key: "bench-adapter", value: canonicalBytes(ActorRecordSchema, create(ActorRecordSchema, { name: "bench-adapter", kind: "adapter", publicKey: adapterKeys.publicKeyRaw, status: "admitted" })) })];
  let signalBytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < DELTAS; i++) {
    const s = signedSignal(adapter, problem, { achieved: 400 - (i % 97), pipeline: [{ pass: "instcombine" }, { pass: `simplifycfg-${i}` }] });
    const value = canonicalBytes(PerformanceSignalSchema, s);
    signalBytes += value.length;
    pending.push(create(DeltaChangeSchema, { kind: "signal", key: objectId(PerformanceSignalSchema, s), value }));
    if (pending.length === 1024 || i === DELTAS - 1) {
      const b = signDeltaBatch(node, { origin, sequence: seq++, previousHash: prev, createdAtMs: 1n, changes: pending });
      prev = b.leafHash;
      await tree.appendLeaves([b.leafHash]);
      parts.push(deltaExportBatches([b.bytes]));
      pending = [];
    }
  }
  parts.push(deltaExportCheckpoint(signDeltaCheckpoint(deltaNoteSigner(node), seq, await rootAt(tree, seq), Date.now())));
  const file = Buffer.concat(parts);
  console.log(JSON.stringify({ step: "generate", deltas: DELTAS, batches: Number(seq), fileBytes: file.length, bytesPer1000Signals: Math.round((file.length / DELTAS) * 1000), signalBytesPer1000: Math.round((signalBytes / DELTAS) * 1000), ms: Math.round(performance.now() - t0) }));
  const tb = performance.now();
  let n = 0;
  for (const r of readExportRecords(file)) n += r.payload.length > 0 ? 1 : 0;
  const baselineMs = performance.now() - tb;
  const roots: string[] = [];
  for (let run = 0; run < 3; run++) {
    const t = performance.now();
    const replayed = replayDeltaExport(file);
    const tBatches = performance.now() - t;
    const sig = verifyReplayedObjects(replayed.state);
    const tSignals = performance.now() - t - tBatches;
    const root = Buffer.from(replayed.state.root()).toString("hex");
    console.log(JSON.stringify({ batchesMs: Math.round(tBatches), signalsMs: Math.round(tSignals) }));
    roots.push(root);
    console.log(JSON.stringify({ step: "replay", run, ms: Math.round(performance.now() - t), changes: replayed.state.changes, signalsVerified: sig.signalsVerified, root }));
  }
  console.log(JSON.stringify({ step: "replay-baseline (framing only)", records: n, ms: Math.round(baselineMs), identicalRoots: new Set(roots).size === 1 }));
}

async function syncBench(): Promise<void> {
  const log = createLogger({ silent: true });
  const dirA = mkdtempSync(join(tmpdir(), "opm-bench-a-"));
  const dirB = mkdtempSync(join(tmpdir(), "opm-bench-b-"));
  const slow = { batchIntervalMs: 3_600_000, pullIntervalMs: 3_600_000 };
  const a = await startRegistryNode({ dataDir: dirA, host: "127.0.0.1", port: 0, log, ephemeralDb: true, sync: slow });
  const asB = await issueIdentity(loadNodeCa(dirA), "node-b");
  const b = await startRegistryNode({ dataDir: dirB, host: "127.0.0.1", port: 0, log, ephemeralDb: true, sync: slow, peers: [{ address: a.address, identity: asB, logKey: a.deltaKey }] });
  try {
    const adapterKeys = generateEd25519();
    const adapter = { name: "bench-adapter", keys: adapterKeys } as never;
    const p = llvmProblem("alice", "sync-bench", "14.0.6", Visibility.PUBLIC);
    const pid = objectId(LocalProblemSchema, p);
    const now = Date.now();
    await a.database.db.insertInto("problems").values({ id: pid, participant: p.participant, compiler: p.compiler, objective: p.objective, visibility: p.visibility, body: canonicalBytes(LocalProblemSchema, p), created_at_ms: now }).execute();
    const rows = [];
    for (let i = 0; i < NODE_SIGNALS; i++) {
      const s = signedSignal(adapter, p, { achieved: 400 - (i % 97), pipeline: [{ pass: `p${i}` }] });
      rows.push({ id: objectId(PerformanceSignalSchema, s), problem_id: pid, adapter: "bench-adapter", body: canonicalBytes(PerformanceSignalSchema, s), created_at_ms: now });
    }
    for (let i = 0; i < rows.length; i += 1000) await a.database.db.insertInto("signals").values(rows.slice(i, i + 1000)).execute();
    const t1 = performance.now();
    await a.sync.batcher.runOnce(true);
    const batchMs = performance.now() - t1;
    const t2 = performance.now();
    const [r] = await b.sync.pullAll();
    const pullMs = performance.now() - t2;
    const changes = (r as { changes: number }).changes;
    console.log(JSON.stringify({ step: "sync (PGlite, in process, mTLS loopback)", signals: NODE_SIGNALS, changes, batchMs: Math.round(batchMs), batchDeltasPerS: Math.round(changes / (batchMs / 1000)), pullMs: Math.round(pullMs), pullDeltasPerS: Math.round(changes / (pullMs / 1000)) }));
  } finally {
    await b.stop();
    await a.stop();
    rmSync(dirA, { recursive: true, force: true });
    rmSync(dirB, { recursive: true, force: true });
  }
}

await replayBench();
await syncBench();

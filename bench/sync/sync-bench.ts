// Delta-sync and replay figures for bench/RESULTS.md ("Delta-sync and replay"):
//
//   npm run build && npx tsc --outDir .tmp/sync --rootDir . --module nodenext --moduleResolution nodenext \
//     --target es2022 --lib es2023 --types node --skipLibCheck --sourceMap false bench/sync/sync-bench.ts \
//     && node .tmp/sync/bench/sync/sync-bench.js [DELTAS]
//
// 1. A delta log of DELTAS signal changes (real signed PerformanceSignals of one admitted
//    adapter, 1,024 changes a batch, signed by a node key) is generated once and kept under
//    .tmp/sync/ (reused while DELTAS and the file match).
// 2. `opm replay LOG --json` (the real CLI, dist/) three times: wall time, its own
//    elapsedMs, the state root.
// 3. Node A (`startRegistryNode`, PGlite on disk) serves that log (its delta tables loaded
//    with it, its key the log's key); node B pulls it over mTLS on loopback and applies it
//    (deltas/s); `opm sync --peer A` mirrors it into a file on a second "node" (deltas/s),
//    and the mirror is replayed. A's own state root, B's root over what it applied and
//    every replay must be identical.
import { create, fromBinary } from "@bufbuild/protobuf";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { canonicalBytes, contentId, ed25519FromPem, ed25519ToPem, generateEd25519, objectId, sha256, signObject, type Ed25519KeyPair } from "../../src/kernel/codec/index.js";
import { createLogger } from "../../src/kernel/logger/index.js";
import { issueIdentity, loadIdentity, loadNodeCa, writeIdentity } from "../../src/kernel/pki/index.js";
import { createRpcClient } from "../../src/kernel/wire/index.js";
import { Compiler, Objective } from "../../src/gen/openpassmarket/v1/common_pb.js";
import { LocalProblemSchema, Visibility } from "../../src/gen/openpassmarket/v1/problem_pb.js";
import { PerformanceSignalSchema } from "../../src/gen/openpassmarket/v1/signal_pb.js";
import { ActorRecordSchema, DeltaBatchSchema, DeltaChangeSchema, SignedDeltaBatchSchema, type DeltaChange } from "../../src/gen/openpassmarket/v1/sync_pb.js";
import { SyncService } from "../../src/gen/openpassmarket/v1/sync_service_pb.js";
import {
  DELTA_EXPORT_FIELD, deltaExportBatches, deltaExportCheckpoint, deltaExportHeader, deltaNoteSigner, deltaOrigin, MemoryTreeStore, rootAt, signDeltaBatch,
  signDeltaCheckpoint, stateRoot, ZERO_HASH, hashLeaf, readExportRecords,
} from "../../src/ledger/index.js";
import { startRegistryNode } from "../../src/server/node/index.js";
import { openDatabase } from "../../src/server/storage/index.js";

const DELTAS = Number(process.argv[2] ?? 100_000);
const OUT = join(process.cwd(), ".tmp", "sync");
const OPM = join(process.cwd(), "bin", "opm.js");
const execFileAsync = promisify(execFile);
const ms = (t: number) => Math.round(performance.now() - t);
const print = (o: Record<string, unknown>) => console.log(JSON.stringify(o));

interface LogRow { sequence: number; leafHash: Uint8Array; body: Uint8Array; changes: DeltaChange[] }

/** The log file, its node key and its rows (what node A's tables hold). */
async function generateLog(): Promise<{ file: string; key: Ed25519KeyPair; rows: LogRow[] }> {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `replay-${DELTAS}.opmdelta`);
  const keyFile = join(OUT, `replay-${DELTAS}.key.pem`);
  if (existsSync(file) && existsSync(keyFile)) {
    // Reused: the rows come from the file (re-signing 10^5 signals takes minutes here).
    const t = performance.now();
    const rows: LogRow[] = [];
    for (const r of readExportRecords(readFileSync(file))) {
      if (r.fieldNo !== DELTA_EXPORT_FIELD.batch) continue;
      const body = Uint8Array.from(r.payload);
      const batch = fromBinary(DeltaBatchSchema, fromBinary(SignedDeltaBatchSchema, body).batch);
      rows.push({ sequence: rows.length, leafHash: hashLeaf(body), body, changes: batch.changes });
    }
    print({ step: "generate", reused: true, deltas: DELTAS, batches: rows.length, fileBytes: statSync(file).size, bytesPer1000Signals: Math.round((statSync(file).size / DELTAS) * 1000), ms: ms(t) });
    return { file, key: ed25519FromPem(readFileSync(keyFile, "utf8")), rows };
  }
  const reuse = existsSync(file) && existsSync(keyFile);
  const key = reuse ? ed25519FromPem(readFileSync(keyFile, "utf8")) : generateEd25519();
  const adapter = reuse ? ed25519FromPem(readFileSync(`${keyFile}.adapter`, "utf8")) : generateEd25519();
  const origin = deltaOrigin(key);
  const problem = create(LocalProblemSchema, {
    participant: "alice", compiler: Compiler.LLVM, compilerVersion: "14.0.6", objective: Objective.IR_INSTCOUNT, visibility: Visibility.PUBLIC,
    ir: new TextEncoder().encode("; bench module\n"), irFormat: "llvm-ir", baseline: 420,
  });
  problem.irDigest = contentId(problem.ir);
  const problemId = objectId(LocalProblemSchema, problem);
  const t0 = performance.now();
  const rows: LogRow[] = [];
  const tree = new MemoryTreeStore();
  let prev: Uint8Array = ZERO_HASH;
  let pending: DeltaChange[] = [create(DeltaChangeSchema, {
    kind: "actor", key: "bench-adapter",
    value: canonicalBytes(ActorRecordSchema, create(ActorRecordSchema, { name: "bench-adapter", kind: "adapter", publicKey: adapter.publicKeyRaw, status: "admitted" })),
  })];
  const flush = async () => {
    const b = signDeltaBatch(key, { origin, sequence: BigInt(rows.length), previousHash: prev, createdAtMs: 1n, changes: pending });
    rows.push({ sequence: rows.length, leafHash: b.leafHash, body: b.bytes, changes: pending });
    await tree.appendLeaves([b.leafHash]);
    prev = b.leafHash;
    pending = [];
  };
  for (let i = 0; i < DELTAS; i++) {
    const s = signObject(PerformanceSignalSchema, create(PerformanceSignalSchema, {
      problemId, objective: problem.objective, baseline: 420, achieved: 400 - (i % 97), pipeline: [{ pass: "instcombine" }, { pass: `simplifycfg-${i}` }],
      inputDigest: problem.irDigest, outputDigest: contentId(new TextEncoder().encode(`out ${i}`)), compilerVersion: "14.0.6",
      verdict: { ok: true, verifier: "bench-adapter", layers: ["well-formed", "interface", "semantics", "metric"].map((name) => ({ name, ok: true, evidence: `${name} checked` })) },
      adapter: "bench-adapter", measuredAtMs: 1_700_000_000_000n + BigInt(i), elapsedMs: 12,
    }), "bench-adapter", adapter);
    pending.push(create(DeltaChangeSchema, { kind: "signal", key: objectId(PerformanceSignalSchema, s), value: canonicalBytes(PerformanceSignalSchema, s) }));
    if (pending.length === 1024) await flush();
  }
  if (pending.length > 0) await flush();
  if (!reuse) {
    const size = BigInt(rows.length);
    writeFileSync(file, Buffer.concat([
      deltaExportHeader(origin, deltaNoteSigner(key).verifierKey()), deltaExportBatches(rows.map((r) => r.body)),
      deltaExportCheckpoint(signDeltaCheckpoint(deltaNoteSigner(key), size, await rootAt(tree, size), Date.now())),
    ]));
    writeFileSync(keyFile, ed25519ToPem(key));
    writeFileSync(`${keyFile}.adapter`, ed25519ToPem(adapter));
  }
  print({ step: "generate", reused: reuse, deltas: DELTAS, batches: rows.length, fileBytes: statSync(file).size, bytesPer1000Signals: Math.round((statSync(file).size / DELTAS) * 1000), ms: ms(t0) });
  return { file, key, rows };
}

/** `opm replay FILE --json` as a child process: wall time and what it printed. */
function replay(file: string, label: string): string {
  const t = performance.now();
  const out = JSON.parse(execFileSync(process.execPath, [OPM, "replay", file, "--json"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })) as { stateRoot: string; elapsedMs: number; cpuMs: number; changes: number; signatures: { signalsVerified: number } };
  print({ step: "replay", label, wallMs: ms(t), elapsedMs: out.elapsedMs, cpuMs: out.cpuMs, changes: out.changes, signalsVerified: out.signatures.signalsVerified, stateRoot: out.stateRoot });
  return out.stateRoot;
}

async function main(): Promise<void> {
  const { file, key, rows } = await generateLog();
  // `node sync-bench.js N no-replay`: the two-node part only (the three replays were run before).
  const roots = process.argv[3] === "no-replay" ? [] : [1, 2, 3].map((run) => replay(file, `run ${run}`));

  const root = mkdtempSync(join(tmpdir(), "opm-sync-bench-"));
  const [dirA, dirB] = [join(root, "a"), join(root, "b")];
  mkdirSync(join(dirA, "pki"), { recursive: true });
  writeFileSync(join(dirA, "pki", "ledger-ed25519.pem"), ed25519ToPem(key), { mode: 0o600 });
  // Node A's delta tables hold the log, as if its batcher had written it.
  const t0 = performance.now();
  const db = await openDatabase({ dataDir: dirA });
  for (let i = 0; i < rows.length; i += 16) {
    await db.db.insertInto("delta_batches").values(rows.slice(i, i + 16).map((r) => ({ sequence: r.sequence, leaf_hash: r.leafHash, body: r.body, change_count: r.changes.length, created_at_ms: 1 }))).execute();
  }
  const items = rows.flatMap((r) => r.changes.map((c) => ({ kind: c.kind, key: c.key, version: "", digest: sha256(c.value), sequence: r.sequence })));
  for (let i = 0; i < items.length; i += 2000) await db.db.insertInto("delta_items").values(items.slice(i, i + 2000)).execute();
  await db.close();
  print({ step: "load node A", ms: ms(t0) });
  const log = createLogger({ silent: true });
  const slow = { batchIntervalMs: 3_600_000, pullIntervalMs: 3_600_000 };
  const a = await startRegistryNode({ dataDir: dirA, host: "127.0.0.1", port: 0, log, sync: slow });
  const asB = await issueIdentity(loadNodeCa(dirA), "node-b");
  const b = await startRegistryNode({ dataDir: dirB, host: "127.0.0.1", port: 0, log, sync: slow, peers: [{ address: a.address, identity: asB, logKey: a.deltaKey }] });
  try {
    const t1 = performance.now();
    const [r] = await b.sync.pullAll();
    const pullMs = performance.now() - t1;
    const changes = (r as { changes?: number }).changes ?? 0;
    print({ step: "sync node B <- node A (PGlite, mTLS loopback, verify + apply)", batches: (r as { batches?: number }).batches, changes, ms: Math.round(pullMs), deltasPerS: Math.round(changes / (pullMs / 1000)), result: "error" in (r as object) ? r : "ok" });
    const bRows = await b.database.db.selectFrom("sync_objects").select(["kind", "key", "digest"]).where("origin", "=", deltaOrigin(key)).execute();
    const bRoot = Buffer.from(stateRoot(bRows.map((x) => ({ kind: x.kind, key: x.key, digest: Uint8Array.from(x.digest) })))).toString("hex");
    const admin = loadIdentity(a.adminDir);
    const client = createRpcClient(SyncService, { address: a.address, identity: admin, deadlineMs: 120_000 });
    const aRoot = (await client.getSyncStatus({})).stateRoot;
    client.close();
    // A second reader over the CLI: `opm sync` verifies the log into a file mirror.
    const mirrorId = join(root, "mirror-id");
    writeIdentity(mirrorId, await issueIdentity(loadNodeCa(dirA), "mirror"));
    const t2 = performance.now();
    // Asynchronous: node A serves from this process's event loop.
    const pulled = JSON.parse((await execFileAsync(process.execPath, [OPM, "sync", "--peer", a.address, "--identity", mirrorId, "--peer-key", a.deltaKey, "--json"], { encoding: "utf8" })).stdout) as { changes: number; log: string };
    const mirrorMs = performance.now() - t2;
    print({ step: "sync file mirror <- node A (opm sync, CLI)", changes: pulled.changes, ms: Math.round(mirrorMs), deltasPerS: Math.round(pulled.changes / (mirrorMs / 1000)) });
    const mirrorRoot = replay(pulled.log, "mirror (second node)");
    print({ step: "roots", identical: new Set([...roots, aRoot, bRoot, mirrorRoot]).size === 1, replays: roots, nodeA: aRoot, nodeB: bRoot, mirror: mirrorRoot });
  } finally {
    await b.stop();
    await a.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();

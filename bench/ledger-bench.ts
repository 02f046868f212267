/**
 * Ledger benchmark: appends per second (tree only and full ledger, single and batched),
 * proof generation at N entries, and full offline verification of an N-entry export.
 * Prints a markdown table on stdout. Run (no tsx installed, so compile then run):
 *
 *   npx tsc --outDir .tmp/bench --rootDir . --module nodenext --moduleResolution nodenext \
 *     --target es2022 --skipLibCheck --sourceMap false bench/ledger-bench.ts \
 *     && node .tmp/bench/bench/ledger-bench.js
 *
 * LEDGER_BENCH_N sets the export size (default 1000000). Every exported entry carries a
 * real Ed25519 signature by a 1-of-1 governor, and verification checks each of them.
 */
import { cpus } from "node:os";
import { CheckpointSigner } from "../src/ledger/checkpoint/checkpoint-signer.js";
import { encodeEntry, encodeSignedEntry, makeSignedEntry, signEntry } from "../src/ledger/governance/entry-codec.js";
import { hashLeaf } from "../src/ledger/merkle/hasher.js";
import { MemoryTreeStore } from "../src/ledger/merkle/memory-tree-store.js";
import { consistencyProof, inclusionProof, rootAt } from "../src/ledger/merkle/proofs.js";
import { EXPORT_FIELD, EXPORT_FORMAT, ExportWriter } from "../src/ledger/log/export-format.js";
import { Ledger } from "../src/ledger/log/ledger.js";
import { verifyExport } from "../src/ledger/log/verify-export.js";
import { ORIGIN, genesis, governor, kinds, logSigner, type Governor } from "../src/ledger/testdata/fixtures.js";
import type { SignedLedgerEntry } from "../src/gen/openpassmarket/v1/ledger_pb.js";

const N = Number(process.env.LEDGER_BENCH_N ?? 1_000_000);
const rows: [string, string][] = [];
const now = () => performance.now();
const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** Entries 1..count after `genesisEntry`, chained and signed by `gov` (policy updates: tiny state). */
function* chain(genesisEntry: SignedLedgerEntry, gov: Governor, count: number): Generator<{ signed: SignedLedgerEntry; bytes: Uint8Array }> {
  let prev = hashLeaf(encodeSignedEntry(genesisEntry));
  for (let i = 1; i <= count; i++) {
    const entryBytes = encodeEntry({ index: BigInt(i), previousEntryHash: prev, proposer: gov.name, proposedAtUnixMs: 1_700_000_000_000n + BigInt(i), kind: kinds.policy("default", BigInt(i)) });
    const signed = makeSignedEntry(entryBytes, [signEntry(entryBytes, gov.keys)]);
    const bytes = encodeSignedEntry(signed);
    prev = hashLeaf(bytes);
    yield { signed, bytes };
  }
}

async function treeAppends(): Promise<void> {
  const leaves = Array.from({ length: 200_000 }, (_, i) => hashLeaf(new Uint8Array([i & 255, i >> 8, i >> 16])));
  const single = new MemoryTreeStore();
  let t = now();
  for (const l of leaves) await single.appendLeaves([l]);
  rows.push(["tree append, single (in-memory TreeStore)", `${Math.round(leaves.length / ((now() - t) / 1000)).toLocaleString("en")} leaves/s`]);
  const batched = new MemoryTreeStore();
  t = now();
  for (let i = 0; i < leaves.length; i += 1000) await batched.appendLeaves(leaves.slice(i, i + 1000));
  rows.push(["tree append, batch 1000", `${Math.round(leaves.length / ((now() - t) / 1000)).toLocaleString("en")} leaves/s`]);
}

async function ledgerAppends(): Promise<void> {
  const gov = governor("gov-a");
  const g = genesis([gov], 1);
  const entries = [...chain(g, gov, 20_000)].map((e) => e.signed);
  const single = await Ledger.create({ origin: ORIGIN, logSigner: logSigner() }, g);
  let t = now();
  for (const e of entries.slice(0, 5000)) await single.append(e);
  rows.push(["ledger append, single (decode + chain + 1 signature verify + tree)", `${Math.round(5000 / ((now() - t) / 1000)).toLocaleString("en")} entries/s`]);
  const batched = await Ledger.create({ origin: ORIGIN, logSigner: logSigner() }, g);
  t = now();
  for (let i = 0; i < entries.length; i += 1000) await batched.appendBatch(entries.slice(i, i + 1000));
  rows.push(["ledger append, batch 1000", `${Math.round(entries.length / ((now() - t) / 1000)).toLocaleString("en")} entries/s`]);
}

async function bigExport(): Promise<void> {
  const gov = governor("gov-a");
  const g = genesis([gov], 1);
  const tree = new MemoryTreeStore();
  const signer = new CheckpointSigner(ORIGIN, logSigner());
  const w = new ExportWriter().string(EXPORT_FIELD.format, EXPORT_FORMAT).string(EXPORT_FIELD.origin, ORIGIN).string(EXPORT_FIELD.logKey, logSigner().verifierKey());
  const notes: string[] = [];
  const gBytes = encodeSignedEntry(g);
  w.field(EXPORT_FIELD.entry, gBytes);
  let pending = [hashLeaf(gBytes)];
  const checkpoint = async () => {
    await tree.appendLeaves(pending);
    pending = [];
    const size = await tree.size();
    notes.push(signer.sign(size, await rootAt(tree, size), await consistencyProof(tree, signer.lastSigned?.size ?? 0n, size)));
  };
  let t = now();
  let built = 1;
  for (const { bytes } of chain(g, gov, N - 1)) {
    w.field(EXPORT_FIELD.entry, bytes);
    pending.push(hashLeaf(bytes));
    if (++built % 100_000 === 0) {
      await checkpoint();
      log(`built ${built} entries`);
    }
  }
  if (pending.length > 0) await checkpoint();
  for (const n of notes) w.checkpoint(n);
  const file = w.finish();
  log(`built ${N}-entry export (${(file.length / 1e6).toFixed(1)} MB) in ${((now() - t) / 1000).toFixed(1)} s`);

  const size = BigInt(N);
  const reps = 2000;
  t = now();
  for (let i = 0; i < reps; i++) await inclusionProof(tree, BigInt(Math.floor(Math.random() * N)), size);
  rows.push([`inclusion proof generation at ${N.toLocaleString("en")} entries`, `${(((now() - t) * 1000) / reps).toFixed(1)} µs/proof`]);
  t = now();
  for (let i = 0; i < reps; i++) await consistencyProof(tree, BigInt(1 + Math.floor(Math.random() * (N - 1))), size);
  rows.push([`consistency proof generation at ${N.toLocaleString("en")} entries`, `${(((now() - t) * 1000) / reps).toFixed(1)} µs/proof`]);

  t = now();
  const out = await verifyExport(file, { logKey: logSigner().verifierKey() });
  const secs = (now() - t) / 1000;
  if (out.size !== size) throw new Error(`verified size ${out.size}, want ${size}`);
  rows.push([`offline verifyExport of ${N.toLocaleString("en")} entries (${(file.length / 1e6).toFixed(0)} MB, ${out.checkpoints} checkpoints)`, `${secs.toFixed(1)} s (${((secs * 1e6) / N).toFixed(1)} µs/entry)`]);
}

await treeAppends();
await ledgerAppends();
await bigExport();
process.stdout.write(`Ledger benchmark — Node ${process.version}, ${cpus().length}× ${cpus()[0]?.model ?? "cpu"}, single thread\n\n| measure | result |\n| --- | --- |\n`);
for (const [k, v] of rows) process.stdout.write(`| ${k} | ${v} |\n`);

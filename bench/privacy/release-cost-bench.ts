/**
 * The cost a release adds to a search: the latency of `ReleaseResult` over mTLS on a real
 * registry node (signed call, access check, group commit: policy read, budget lock, charge,
 * sample, store, audit), the call `opm optimize` makes once per private search, and of asking
 * again for a release already made (served as stored, charged nothing).
 *
 *     npx tsc --outDir .tmp/privacy-bench --rootDir . --module nodenext --moduleResolution nodenext \
 *       --target es2022 --lib es2023 --types node --strict --skipLibCheck --sourceMap false bench/privacy/release-cost-bench.ts
 *     node .tmp/privacy-bench/bench/privacy/release-cost-bench.js --participants 20 [--db postgres://…]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { create } from "@bufbuild/protobuf";
import { contentId, signObject } from "../../src/kernel/codec/index.js";
import { createLogger } from "../../src/kernel/logger/index.js";
import { issueIdentity, loadIdentity, loadNodeCa } from "../../src/kernel/pki/index.js";
import { createRpcClient } from "../../src/kernel/wire/index.js";
import { Compiler, Objective } from "../../src/gen/openpassmarket/v1/common_pb.js";
import { Visibility } from "../../src/gen/openpassmarket/v1/problem_pb.js";
import { RegistryService } from "../../src/gen/openpassmarket/v1/registry_service_pb.js";
import { PerformanceSignalSchema } from "../../src/gen/openpassmarket/v1/signal_pb.js";
import { startRegistryNode } from "../../src/server/node/index.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const PARTICIPANTS = Number(arg("participants", "20"));
const DB = arg("db", "");
const RELEASES_EACH = 4; // what the built-in default budget pays for (ε 1, ε 0.25 each)

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "opm-release-bench-"));
  const node = await startRegistryNode({ dataDir: join(dir, "node"), host: "127.0.0.1", port: 0, log: createLogger({ silent: true }), ...(DB === "" ? { ephemeralDb: true } : { dbUrl: DB }) });
  const ca = loadNodeCa(join(dir, "node"));
  const admin = createRpcClient(RegistryService, { address: node.address, identity: loadIdentity(node.adminDir) });
  const made: number[] = [], served: number[] = [];
  try {
    for (let p = 0; p < PARTICIPANTS; p++) {
      const who = await issueIdentity(ca, `bench-p${p}`);
      const adapterId = await issueIdentity(ca, `bench-a${p}`);
      const me = createRpcClient(RegistryService, { address: node.address, identity: who });
      const ad = createRpcClient(RegistryService, { address: node.address, identity: adapterId });
      await me.registerParticipant({ publicKey: who.keys.publicKeyRaw });
      await ad.registerAdapter({ publicKey: adapterId.keys.publicKeyRaw, owner: who.name, capabilities: { compiler: Compiler.LLVM, compilerVersion: "14.0.6", targetTriple: "x86_64-pc-linux-gnu", objectives: ["ir-instcount"] } });
      await admin.admitAdapter({ adapter: adapterId.name, keyId: adapterId.keys.keyId });
      const irDigest = contentId(new TextEncoder().encode(`program ${p}`));
      const problem = {
        participant: who.name, compiler: Compiler.LLVM, compilerVersion: "14.0.6", objective: Objective.IR_INSTCOUNT, irDigest, irFormat: "llvm-ir",
        features: [{ name: "add", value: 3 }], visibility: Visibility.PRIVATE, baseline: 420,
      };
      const { problemId } = await me.submitProblem({ problem });
      const ids: string[] = [];
      for (let i = 0; i < RELEASES_EACH; i++) {
        const signal = create(PerformanceSignalSchema, {
          problemId, objective: Objective.IR_INSTCOUNT, baseline: 420, achieved: 400 - i, pipeline: [{ pass: "instcombine" }], inputDigest: irDigest,
          outputDigest: contentId(new TextEncoder().encode(`out ${i}`)), compilerVersion: "14.0.6", adapter: adapterId.name,
          verdict: { ok: true, verifier: adapterId.name, layers: ["well-formed", "interface", "semantics", "metric"].map((name) => ({ name, ok: true })) },
        });
        ids.push((await ad.submitSignal({ signal: signObject(PerformanceSignalSchema, signal, adapterId.name, adapterId.keys) })).signalId);
      }
      for (const signalId of ids) {
        let t = performance.now();
        await me.releaseResult({ problemId, signalId });
        made.push(performance.now() - t);
        t = performance.now();
        await me.releaseResult({ problemId, signalId });
        served.push(performance.now() - t);
      }
      me.close();
      ad.close();
    }
  } finally {
    admin.close();
    await node.stop();
    if (DB === "") rmSync(dir, { recursive: true, force: true });
  }
  const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, p90 ${p90(xs).toFixed(1)} ms (n = ${xs.length})`;
  console.log(`database: ${DB === "" ? "pglite" : "postgres"}`);
  console.log(`ReleaseResult, new release:      ${fmt(made)}`);
  console.log(`ReleaseResult, already released: ${fmt(served)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

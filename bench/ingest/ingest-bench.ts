/**
 * Ingestion benchmark: signed PerformanceSignal submissions per second over mTLS with
 * durable storage, side by side in one run with a bare grpc-js unary echo over the same
 * TLS setup (the ceiling). Cases: `echo`, `verify-echo` (the echo plus the two Ed25519
 * checks every submission needs — the floor of any authenticated ingestion, storage
 * aside), `pglite` (embedded, fsync per commit) and `postgres` (a server with fsync=on,
 * synchronous_commit=on). Each server runs in its own
 * child process (bench-server.ts); this process is the client. Prints a markdown table
 * on stdout, progress on stderr. Run from the repository root (no tsx/vite-node is
 * installed, so compile, then run):
 *
 *   npx tsc -p tsconfig.build.json; node dist/bench/ingest/ingest-bench.js
 *
 * or, compiling only what the benchmark imports:
 *
 *   npx tsc --outDir .tmp/ingest --rootDir . --module nodenext --moduleResolution nodenext \
 *     --target es2022 --lib es2023 --types node --skipLibCheck --sourceMap false \
 *     bench/ingest/ingest-bench.ts bench/ingest/bench-server.ts \
 *     && node .tmp/ingest/bench/ingest/ingest-bench.js
 *
 * Environment: INGEST_BENCH_N (measured calls per case, 5000), INGEST_BENCH_WARMUP (500),
 * INGEST_BENCH_CONCURRENCY (calls in flight, 64), INGEST_BENCH_CHANNELS (HTTP/2
 * connections, 4), INGEST_BENCH_MAX_S (time bound per case, 120), INGEST_BENCH_CASES
 * (`echo,verify-echo,pglite,postgres`), OPM_BENCH_POSTGRES_URL (an existing server; otherwise one is
 * started with scripts/postgres.sh on INGEST_BENCH_PG_PORT, 54339, and stopped at the
 * end), INGEST_BENCH_COMMIT_LANES (the registry's group-commit lanes; default: the
 * node's), INGEST_BENCH_SERVER_NODE_ARGS (extra node flags for the server processes, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { execFileSync, fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { contentId, objectId, signObject } from "../../src/kernel/codec/index.js";
import { Compiler, Objective } from "../../src/gen/openpassmarket/v1/common_pb.js";
import { LocalProblemSchema, Visibility, type LocalProblem } from "../../src/gen/openpassmarket/v1/problem_pb.js";
import { RegistryService, SubmitSignalRequestSchema } from "../../src/gen/openpassmarket/v1/registry_service_pb.js";
import { PerformanceSignalSchema } from "../../src/gen/openpassmarket/v1/signal_pb.js";
import { issueIdentity, loadIdentity, loadNodeCa, type Identity } from "../../src/kernel/pki/index.js";
import { callUnary, createRpcClient, methodPath, signedMetadata } from "../../src/kernel/wire/index.js";
import { quantile, runClosedLoop, type LoadResult } from "./closed-loop.js";
import { machineTicks, machineUse, processCpuSeconds } from "./machine-cpu.js";
import { ECHO_PATH, type ServerMessage } from "./protocol.js";

const env = (name: string, fallback: number): number => (process.env[name] ? Number(process.env[name]) : fallback);
const N = env("INGEST_BENCH_N", 5000);
const WARMUP = env("INGEST_BENCH_WARMUP", 500);
const CONCURRENCY = env("INGEST_BENCH_CONCURRENCY", 64);
const CHANNELS = env("INGEST_BENCH_CHANNELS", 4);
const MAX_MS = env("INGEST_BENCH_MAX_S", 120) * 1000;
const CASES = (process.env.INGEST_BENCH_CASES ?? "echo,verify-echo,pglite,postgres").split(",");
const log = (msg: string): boolean => process.stderr.write(`ingest-bench: ${msg}\n`);
const LOAD_AT_START = loadavg().map((l) => l.toFixed(1)).join(" ");
const SUBMIT = RegistryService.method.submitSignal;
const SUBMIT_PATH = methodPath(SUBMIT);

/** A running bench-server child. */
interface ServerProcess { address: string; dataDir: string; cpu(): Promise<NodeJS.CpuUsage>; stop(): Promise<void> }

async function startServer(args: string[], dataDir: string): Promise<ServerProcess> {
  const execArgv = (process.env.INGEST_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
  const child: ChildProcess = fork(fileURLToPath(new URL("./bench-server.js", import.meta.url)), [...args.slice(0, 1), dataDir, ...args.slice(1)], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const next = <K extends string>(key: K) => new Promise<ServerMessage>((resolve, reject) => {
    const onMessage = (m: ServerMessage) => {
      if (key in m) {
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(m);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`bench-server ${args[0]} exited with ${code} before sending ${key}`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
  const ready = (await next("ready")) as { address: string };
  return {
    address: ready.address,
    dataDir,
    cpu: async () => {
      const reply = next("cpu");
      child.send("cpu");
      return ((await reply) as { cpu: NodeJS.CpuUsage }).cpu;
    },
    stop: async () => {
      const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.send("stop");
      await done;
    },
  };
}

/** grpc-js channels that do not share one connection (a local subchannel pool each). */
function channels(address: string, identity: Identity): Client[] {
  return Array.from({ length: CHANNELS }, (_, i) => new Client(address,
    credentials.createSsl(Buffer.from(identity.caPem), Buffer.from(identity.tls.keyPem), Buffer.from(identity.tls.certPem)),
    { "grpc.use_local_subchannel_pool": 1, "grpc.primary_user_agent": `ingest-bench-${i}` }));
}

function benchProblem(): LocalProblem {
  return create(LocalProblemSchema, {
    participant: "alice", compiler: Compiler.LLVM, compilerVersion: "14.0.6", objective: Objective.IR_INSTCOUNT,
    irDigest: contentId(new TextEncoder().encode("ingest-bench")), irFormat: "llvm-ir",
    features: [{ name: "add", value: 12 }, { name: "load", value: 40 }, { name: "store", value: 31 }],
    constraints: { maxPasses: 32, evaluationBudget: 100 }, visibility: Visibility.PRIVATE, baseline: 420, label: "ingest-bench",
  });
}

const OUTPUT_DIGEST = contentId(new TextEncoder().encode("out"));
/** The four layers the registry requires of an LLVM signal, with evidence of the length real adapters send. */
const VERDICT_LAYERS = [
  { name: "well-formed", ok: true, evidence: "opt -passes=verify accepts AFTER" },
  { name: "interface", ok: true, evidence: "same 6 exported function(s) and 2 global(s) with the same types and initial values; no new external references" },
  { name: "semantics", ok: true, evidence: "reference and transformed builds agree on 1 input(s): exit 0, stdout 43 bytes; UBSan-clean reference" },
  { name: "metric", ok: true, evidence: "ir-instcount recomputed from AFTER (sha256 matches the signal): 400" },
];
const BASE_MS = BigInt(Date.now());

/** Request bytes of signal number `i` (distinct content per i), built and signed now. */
function signalRequest(adapter: Identity, problem: LocalProblem, problemId: string, i: number): Uint8Array {
  const signal = signObject(PerformanceSignalSchema, create(PerformanceSignalSchema, {
    problemId, objective: problem.objective, baseline: problem.baseline, achieved: 400 - (i % 97),
    pipeline: [{ pass: "instcombine" }, { pass: "simplifycfg" }, { pass: "licm", value: "mode=full" }], inputDigest: problem.irDigest,
    outputDigest: OUTPUT_DIGEST, compilerVersion: "14.0.6",
    verdict: { ok: true, verifier: adapter.name, layers: VERDICT_LAYERS },
    adapter: adapter.name, measuredAtMs: BASE_MS + BigInt(i), elapsedMs: 12, jobId: `job-${i}`,
  }), adapter.name, adapter.keys);
  return toBinary(SubmitSignalRequestSchema, create(SubmitSignalRequestSchema, { signal }));
}

/** One case's measured window, with client and server CPU over exactly that window. */
interface CaseResult { name: string; load: LoadResult; clientCpuMs: number; serverCpuMs: number; postgresCpuMs: number; machine: { busy: number; iowait: number }; requestBytes: number }

async function measure(name: string, server: ServerProcess, requestBytes: number, call: (i: number) => Promise<void>): Promise<CaseResult> {
  log(`${name}: warm-up ${WARMUP}`);
  const warm = await runClosedLoop(0, WARMUP, CONCURRENCY, MAX_MS, call);
  if (warm.failed > 0) throw new Error(`${name}: ${warm.failed} warm-up calls failed: ${String(warm.firstError)}`);
  const s0 = await server.cpu();
  const c0 = process.cpuUsage();
  const m0 = machineTicks();
  const p0 = processCpuSeconds("postgres");
  const load = await runClosedLoop(WARMUP, N, CONCURRENCY, MAX_MS, call);
  const machine = machineUse(m0, machineTicks());
  const postgresCpuMs = (processCpuSeconds("postgres") - p0) * 1000;
  const c1 = process.cpuUsage(c0);
  const s1 = await server.cpu();
  const serverCpu = { user: s1.user - s0.user, system: s1.system - s0.system };
  log(`${name}: ${load.completed} ok, ${load.failed} failed in ${load.elapsedMs.toFixed(0)} ms`);
  if (load.failed > 0) log(`${name}: first failure: ${String(load.firstError)}`);
  return { name, load, clientCpuMs: (c1.user + c1.system) / 1000, serverCpuMs: (serverCpu.user + serverCpu.system) / 1000, postgresCpuMs, machine, requestBytes };
}

/** The bare echo, or with `verify` the echo that also checks both signatures (no storage). */
async function echoCase(name: string, verify = false): Promise<CaseResult> {
  const dataDir = mkdtempSync(join(tmpdir(), "opm-bench-echo-"));
  const server = await startServer([verify ? "verify-echo" : "echo"], dataDir);
  try {
    const client = await issueIdentity(loadNodeCa(dataDir), "echo-client");
    const chans = channels(server.address, client);
    // The same bytes and the same metadata headers a signal submission carries.
    const problem = benchProblem();
    const body = Buffer.from(signalRequest(client, problem, objectId(LocalProblemSchema, problem), 0));
    const metadata = signedMetadata(client, ECHO_PATH, body);
    if (verify) metadata.set("bench-public-key", Buffer.from(client.keys.publicKeyRaw).toString("base64"));
    const pass = (b: Buffer): Buffer => b;
    const call = (i: number) => new Promise<void>((resolve, reject) => {
      chans[i % CHANNELS]!.makeUnaryRequest(ECHO_PATH, pass, pass, body, metadata.clone(), { deadline: Date.now() + 30_000 },
        (err: ServiceError | null, res?: Buffer) => (err ? reject(err) : res?.length === body.length ? resolve() : reject(new Error("short echo"))));
    });
    const result = await measure(name, server, body.length, call);
    chans.forEach((c) => c.close());
    return result;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function registryCase(name: string, dbUrl: string | undefined): Promise<CaseResult> {
  const dataDir = mkdtempSync(join(tmpdir(), "opm-bench-registry-"));
  const server = await startServer(dbUrl === undefined ? ["registry"] : ["registry", dbUrl], dataDir);
  try {
    const ca = loadNodeCa(dataDir);
    const admin = loadIdentity(join(dataDir, "identities", "admin"));
    const alice = await issueIdentity(ca, "alice");
    const adapter = await issueIdentity(ca, "llvm-bench-1");
    const rpc = (identity: Identity) => createRpcClient(RegistryService, { address: server.address, identity });
    const [asAdmin, asAlice, asAdapter] = [rpc(admin), rpc(alice), rpc(adapter)];
    await asAlice.registerParticipant({ publicKey: alice.keys.publicKeyRaw });
    await asAdapter.registerAdapter({ publicKey: adapter.keys.publicKeyRaw, owner: "alice", capabilities: { compiler: Compiler.LLVM, compilerVersion: "14.0.6", targetTriple: "x86_64-pc-linux-gnu", objectives: ["ir-instcount"] } });
    await asAdmin.admitAdapter({ adapter: adapter.name, keyId: adapter.keys.keyId, reason: "ingest-bench" });
    const problem = benchProblem();
    const { problemId } = await asAlice.submitProblem({ problem });
    [asAdmin, asAlice, asAdapter].forEach((c) => c.close());
    const chans = channels(server.address, adapter);
    // Built and signed before the clock starts, as the echo's request is: the load
    // generator shares the machine, and an adapter signs its signals on its own.
    log(`${name}: signing ${WARMUP + N} requests`);
    const requests = Array.from({ length: WARMUP + N }, (_, i) => {
      const body = signalRequest(adapter, problem, problemId, i);
      return { body, metadata: signedMetadata(adapter, SUBMIT_PATH, body) };
    });
    const call = async (i: number) => {
      const { body, metadata } = requests[i]!;
      const response = await callUnary(chans[i % CHANNELS]!, SUBMIT_PATH, body, metadata, SUBMIT, Date.now() + 30_000);
      if (!response.created) throw new Error(`signal ${i} was not created`);
    };
    const result = await measure(name, server, requests[0]!.body.length, call);
    chans.forEach((c) => c.close());
    return result;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A fresh database on the PostgreSQL server at `adminUrl`; returns its URL and a dropper. */
async function freshDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `opm_bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name}`).finally(() => c.end());
    },
  };
}

const pct = (x: number): string => `${Math.round(100 * x)}%`;

const rateOf = (r: CaseResult): number => r.load.completed / (r.load.elapsedMs / 1000);

function row(r: CaseResult, echoRate: number): string {
  const rate = rateOf(r);
  const per = (ms: number) => (ms / Math.max(1, r.load.completed)).toFixed(3);
  return `| ${r.name} | ${Math.round(rate).toLocaleString("en")} | ${quantile(r.load.latenciesMs, 0.5).toFixed(2)} | ${quantile(r.load.latenciesMs, 0.99).toFixed(2)} | ${Number.isNaN(echoRate) ? "—" : (rate / echoRate).toFixed(2)} | ${per(r.clientCpuMs)} | ${per(r.serverCpuMs)} | ${r.name.includes("PostgreSQL") ? per(r.postgresCpuMs) : "—"} | ${pct(r.machine.busy)} / ${pct(r.machine.iowait)} | ${r.load.completed}/${r.load.failed} |`;
}

async function main(): Promise<void> {
  const results: CaseResult[] = [];
  let pgDir: string | undefined;
  try {
    if (CASES.includes("echo")) results.push(await echoCase("grpc-js echo (ceiling), before"));
    if (CASES.includes("verify-echo")) results.push(await echoCase("echo + both signature checks (no storage)", true));
    if (CASES.includes("pglite")) results.push(await registryCase("registry, PGlite", undefined));
    if (CASES.includes("postgres")) {
      let adminUrl = process.env.OPM_BENCH_POSTGRES_URL;
      if (adminUrl === undefined || adminUrl === "") {
        pgDir = mkdtempSync(join(tmpdir(), "opm-bench-pg-"));
        adminUrl = execFileSync("bash", ["scripts/postgres.sh", "start", pgDir, String(env("INGEST_BENCH_PG_PORT", 54339))], { encoding: "utf8" }).trim();
        log(`started PostgreSQL at ${adminUrl}`);
      }
      const database = await freshDatabase(adminUrl);
      try {
        results.push(await registryCase("registry, PostgreSQL", database.url));
      } finally {
        await database.drop().catch((err: unknown) => log(`could not drop the bench database: ${String(err)}`));
      }
    }
    // Measured again last: the machine's load can drift during a run, and the ratio uses
    // the mean of both echo rates.
    if (CASES.includes("echo")) results.push(await echoCase("grpc-js echo (ceiling), after"));
  } finally {
    if (pgDir !== undefined) {
      execFileSync("bash", ["scripts/postgres.sh", "stop", pgDir]);
      rmSync(pgDir, { recursive: true, force: true });
    }
  }
  const echoes = results.filter((r) => r.name.startsWith("grpc-js echo"));
  const echoRate = echoes.length === 0 ? Number.NaN : echoes.reduce((a, r) => a + rateOf(r), 0) / echoes.length;
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const lines = [
    `Ingestion benchmark, ${new Date().toISOString()} — node ${process.version}, ${cpus().length} × ${cpu}, load average at start ${LOAD_AT_START}`,
    `${N} measured calls per case after ${WARMUP} warm-up, ${CONCURRENCY} in flight over ${CHANNELS} mTLS channels, request ${results[0]?.requestBytes ?? "?"} bytes; ratio = req/s ÷ mean echo req/s of this run (echo measured first and last); CPU ms/req is process CPU (user+system) ÷ calls (PostgreSQL: all postgres processes on the machine); machine busy/iowait is the share of all cores over the window (server, client and PostgreSQL together).`,
    "",
    "| case | req/s | p50 ms | p99 ms | ratio vs echo | client CPU ms/req | server CPU ms/req | PostgreSQL CPU ms/req | machine busy / iowait | ok/failed |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...results.map((r) => row(r, echoRate)),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`ingest-bench: ${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});

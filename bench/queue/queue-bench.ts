/**
 * Job queue: our `FOR UPDATE SKIP LOCKED` queue (src/server/jobs) against pg-boss 10, side by side,
 * on a real PostgreSQL server and on embedded PGlite. Two parts in one run:
 *
 *   1. throughput — enqueue N jobs, then K concurrent workers claim batches of B and
 *      complete each job one by one, until the queue is empty (jobs/s, claim latency);
 *   2. semantics — small experiments per feature (lease expiry, stale completion, claim
 *      tokens, heartbeat, backoff, dead letter with history, routing, PGlite, idempotency).
 *
 * pg-boss is NOT a project dependency. It lives in a scratch directory outside the repo:
 *
 *     mkdir -p /tmp/pgboss && cd /tmp/pgboss && npm init -y \
 *       && npm install pg-boss@10.4.2 pg@8.23.1      # 10.x: newest line whose engines accept Node 20
 *
 * and is loaded from there with createRequire (PGBOSS_DIR overrides the directory).
 * Run (from the repository root; the server is a throwaway one on loopback):
 *
 *     URL=$(bash scripts/postgres.sh start /tmp/opm-pg-queue 54349)
 *     npx tsc --outDir .tmp/queue --rootDir . --module nodenext --moduleResolution nodenext \
 *       --target es2022 --lib es2023 --types node --skipLibCheck --sourceMap false bench/queue/queue-bench.ts
 *     OPM_BENCH_POSTGRES_URL=$URL node .tmp/queue/bench/queue/queue-bench.js --jobs 2000 --workers 4 --batch 16
 *     bash scripts/postgres.sh stop /tmp/opm-pg-queue
 *
 * Every case gets a fresh database (`create database` on the server, a new in-memory PGlite).
 * The run is bounded: N jobs per case, and every wait has a deadline.
 */
import { create } from "@bufbuild/protobuf";
import { PGlite } from "@electric-sql/pglite";
import { randomBytes, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import type { Kysely } from "kysely";
import pg from "pg";
import { contentId, generateEd25519, inlineVerifier, keyIdOf, objectId, signObject, type Ed25519KeyPair } from "../../src/kernel/codec/index.js";
import { OpmError } from "../../src/kernel/errors/index.js";
import { Compiler, Objective } from "../../src/gen/openpassmarket/v1/common_pb.js";
import {
  ClaimJobsRequestSchema, CompleteJobRequestSchema, EnqueueJobsRequestSchema, FailJobRequestSchema, HeartbeatRequestSchema, JobState,
  type ClaimedJob,
} from "../../src/gen/openpassmarket/v1/job_service_pb.js";
import { LocalProblemSchema, Visibility, type LocalProblem } from "../../src/gen/openpassmarket/v1/problem_pb.js";
import {
  AdmitAdapterRequestSchema, RegisterAdapterRequestSchema, RegisterParticipantRequestSchema, SubmitProblemRequestSchema,
} from "../../src/gen/openpassmarket/v1/registry_service_pb.js";
import { PerformanceSignalSchema, PlanStepSchema } from "../../src/gen/openpassmarket/v1/signal_pb.js";
import { claimJobs } from "../../src/server/jobs/claim-jobs.js";
import { enqueueJobs } from "../../src/server/jobs/enqueue-jobs.js";
import { DEFAULT_JOBS_CONFIG, type JobsConfig } from "../../src/server/jobs/jobs-config.js";
import { completeJob, failJob, heartbeat } from "../../src/server/jobs/settle-job.js";
import { ActorKeys, AdminAdmission, ProblemCache, registerBuiltin, type RegistryDeps } from "../../src/server/registry/index.js";
import { admitAdapter, registerAdapter, registerParticipant } from "../../src/server/registry/actors.js";
import { submitProblem } from "../../src/server/registry/problems.js";
import { createCallContext, type CallContext } from "../../src/server/rpc/index.js";
import { openDatabase, type Database, type OpenDatabase } from "../../src/server/storage/index.js";

// ---------------------------------------------------------------- arguments

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const N = arg("jobs", 2000);
const K = arg("workers", 4);
const B = arg("batch", 16);
const SERVER_URL = process.env.OPM_BENCH_POSTGRES_URL ?? "";
const PGBOSS_DIR = process.env.PGBOSS_DIR ?? "/tmp/pgboss";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- pg-boss 10 (loaded from the scratch dir)

interface BossJob { id: string; name: string; data: unknown; state?: string; retryCount?: number; startAfter?: Date; startedOn?: Date; output?: unknown }
interface BossResult { jobs: string[]; requested: number; affected: number }
interface Boss {
  on(event: "error", fn: (e: unknown) => void): void;
  start(): Promise<unknown>;
  stop(o?: { graceful?: boolean; wait?: boolean; close?: boolean }): Promise<void>;
  createQueue(name: string, o?: Record<string, unknown>): Promise<void>;
  send(name: string, data: object, o?: Record<string, unknown>): Promise<string | null>;
  insert(jobs: Array<{ name: string; data: object }>): Promise<void>;
  fetch(name: string, o?: { batchSize?: number; includeMetadata?: boolean }): Promise<BossJob[]>;
  complete(name: string, id: string | string[], data?: object): Promise<BossResult>;
  fail(name: string, id: string | string[], data?: object): Promise<BossResult>;
  getJobById(name: string, id: string, o?: { includeArchive?: boolean }): Promise<BossJob | null>;
}
type BossCtor = new (o: Record<string, unknown>) => Boss;
const PgBoss = createRequire(`${PGBOSS_DIR}/node_modules/`)("pg-boss") as BossCtor;

/** pg-boss's `db` option over PGlite: `executeSql(text, values)` like pg's `pool.query`. */
function pgliteForBoss(pglite: PGlite): { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> } {
  return {
    executeSql: async (text, values) => {
      if (values !== undefined && values.length > 0) return { rows: (await pglite.query(text, values)).rows };
      const results = await pglite.exec(text); // multi-statement (pg-boss's BEGIN; …; COMMIT blocks)
      return { rows: results.length > 0 ? results[results.length - 1]!.rows : [] };
    },
  };
}

// ---------------------------------------------------------------- databases

async function freshServerDb(): Promise<string> {
  const name = `opm_queue_${randomBytes(5).toString("hex")}`;
  const c = new pg.Client({ connectionString: SERVER_URL });
  await c.connect();
  try { await c.query(`create database ${name}`); } finally { await c.end(); }
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

// ---------------------------------------------------------------- our queue: actors and calls

interface Actor { name: string; keys: Ed25519KeyPair }
interface World {
  open: OpenDatabase;
  deps: RegistryDeps;
  config: JobsConfig;
  alice: Actor;
  problem: LocalProblem;
  problemId: string;
  adapters: Actor[];
  /** Runs `fn` in one transaction as `actor` at time `now` (the RPC layer's shape, minus TLS and signatures). */
  call<T>(actor: Actor | string, fn: (ctx: CallContext) => Promise<T>, now?: number): Promise<T>;
}

const VERSION = "14.0.6";
const CAPS = { compiler: Compiler.LLVM, compilerVersion: VERSION, targetTriple: "x86_64-pc-linux-gnu", objectives: ["ir-instcount"] };

async function makeWorld(open: OpenDatabase, adapterSpecs: Array<{ name: string; owner: string; version?: string }>, config: Partial<JobsConfig> = {}): Promise<World> {
  const db: Kysely<Database> = open.db;
  const deps: RegistryDeps = { keys: new ActorKeys(db), admission: new AdminAdmission(), problems: new ProblemCache(), verifier: inlineVerifier };
  const call = async <T>(actor: Actor | string, fn: (ctx: CallContext) => Promise<T>, now = Date.now()): Promise<T> => {
    const name = typeof actor === "string" ? actor : actor.name;
    // As in the RPC layer, the caller's key is looked up (and cached) before the transaction,
    // for the request signature; on PGlite (one connection) a cold lookup inside would wait forever.
    await deps.keys.actorOf(name).catch(() => undefined);
    return db.transaction().execute((tx) => fn(createCallContext(tx, {
      actor: name, certificateFingerprint: "", method: "bench", correlationId: randomUUID(), requestDigest: "", now,
    })));
  };
  const mk = (name: string): Actor => ({ name, keys: generateEd25519() });
  const admin = mk("admin");
  const alice = mk("alice");
  await call(admin, (ctx) => registerBuiltin(ctx, "admin", admin.keys.publicKeyRaw));
  await call(alice, (ctx) => registerParticipant(ctx, deps.keys, create(RegisterParticipantRequestSchema, { publicKey: alice.keys.publicKeyRaw })));
  const adapters: Actor[] = [];
  for (const spec of adapterSpecs) {
    const a = mk(spec.name);
    await call(a, (ctx) => registerAdapter(ctx, deps.keys, create(RegisterAdapterRequestSchema, {
      publicKey: a.keys.publicKeyRaw, capabilities: { ...CAPS, compilerVersion: spec.version ?? VERSION }, owner: spec.owner,
    })));
    await call(admin, (ctx) => admitAdapter(ctx, deps.admission, deps.keys, create(AdmitAdapterRequestSchema, { adapter: a.name, keyId: keyIdOf(a.keys.publicKeyRaw) })));
    adapters.push(a);
  }
  const problem = create(LocalProblemSchema, {
    participant: "alice", compiler: Compiler.LLVM, compilerVersion: VERSION, objective: Objective.IR_INSTCOUNT,
    irDigest: contentId(new TextEncoder().encode("crc32")), irFormat: "llvm-ir",
    features: [{ name: "add", value: 12 }], constraints: { maxPasses: 32, evaluationBudget: 100 },
    visibility: Visibility.PRIVATE, baseline: 420, label: "bench",
  });
  await call(alice, (ctx) => submitProblem(ctx, create(SubmitProblemRequestSchema, { problem })));
  return { open, deps, config: { ...DEFAULT_JOBS_CONFIG, ...config }, alice, problem, problemId: objectId(LocalProblemSchema, problem), adapters, call };
}

const plans = (k: number, from = 0) => Array.from({ length: k }, (_, i) => ({ steps: [{ pass: "instcombine" }, { pass: "loop-unroll", value: String(from + i) }] }));

function signalFor(w: World, adapter: Actor, c: ClaimedJob) {
  const signal = create(PerformanceSignalSchema, {
    jobId: c.job!.id, problemId: w.problemId, objective: w.problem.objective, baseline: w.problem.baseline, achieved: 400,
    pipeline: c.job!.plan.map((p) => create(PlanStepSchema, p)), inputDigest: w.problem.irDigest,
    outputDigest: contentId(new TextEncoder().encode(`out ${c.job!.id}`)), compilerVersion: VERSION,
    verdict: { ok: true, verifier: adapter.name, layers: ["well-formed", "interface", "semantics", "metric"].map((name) => ({ name, ok: true, evidence: "bench" })) },
    adapter: adapter.name, measuredAtMs: BigInt(Date.now()), elapsedMs: 1,
  });
  return signObject(PerformanceSignalSchema, signal, adapter.name, adapter.keys);
}

async function enqueueAll(w: World, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1000) {
    const k = Math.min(1000, n - i);
    await w.call(w.alice, (ctx) => enqueueJobs(ctx, w.config, create(EnqueueJobsRequestSchema, { problemId: w.problemId, plans: plans(k, i) })));
  }
}

// ---------------------------------------------------------------- throughput

interface Row { queue: string; database: string; enqueueMs: number; drainMs: number; completed: number; claims: number; claimLat: number[]; note: string }

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

/** K workers: claim ≤ B, complete each; stop when a claim comes back empty (all jobs were enqueued before). */
async function drain(k: number, claim: (w: number) => Promise<unknown[]>, complete: (w: number, job: unknown) => Promise<void>, deadlineMs: number) {
  const lat: number[] = [];
  let completed = 0;
  let claims = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: k }, async (_, w) => {
    for (;;) {
      if (performance.now() - start > deadlineMs) throw new Error(`drain deadline ${deadlineMs} ms passed`);
      const t = performance.now();
      const jobs = await claim(w);
      lat.push(performance.now() - t);
      claims += 1;
      if (jobs.length === 0) return;
      for (const j of jobs) {
        await complete(w, j);
        completed += 1;
      }
    }
  }));
  return { drainMs: performance.now() - start, completed, claims, claimLat: lat };
}

async function oursFunctions(open: OpenDatabase, database: string): Promise<Row> {
  const w = await makeWorld(open, Array.from({ length: K }, (_, i) => ({ name: `adapter-${i + 1}`, owner: "alice" })));
  const t0 = performance.now();
  await enqueueAll(w, N);
  const enqueueMs = performance.now() - t0;
  const r = await drain(K,
    async (i) => (await w.call(w.adapters[i]!, (ctx) => claimJobs(ctx, w.deps, w.config, create(ClaimJobsRequestSchema, { max: B, leaseMs: 60_000 })))).jobs,
    async (i, j) => {
      const c = j as ClaimedJob;
      await w.call(w.adapters[i]!, (ctx) => completeJob(ctx, w.deps, create(CompleteJobRequestSchema, { jobId: c.job!.id, claimToken: c.claimToken, signal: signalFor(w, w.adapters[i]!, c) })));
    }, 600_000);
  const left = await open.db.selectFrom("jobs").select((eb) => eb.fn.countAll<number>().as("n")).where("state", "!=", "succeeded").executeTakeFirstOrThrow();
  if (Number(left.n) !== 0 || r.completed !== N) throw new Error(`ours-functions: ${r.completed} completed, ${left.n} left`);
  return { queue: "ours: src/server/jobs functions", database, enqueueMs, ...r, note: "claimJobs/completeJob incl. caller lookup, audit rows, Ed25519-signed signal verified + stored" };
}

/** The claim and completion SQL of src/server/jobs, replicated without caller lookup, audit and signal storage. */
async function oursSql(open: OpenDatabase, database: string): Promise<Row> {
  const w = await makeWorld(open, []);
  const t0 = performance.now();
  await enqueueAll(w, N);
  const enqueueMs = performance.now() - t0;
  const db = open.db;
  const r = await drain(K,
    async (i) => db.transaction().execute(async (tx) => {
      const now = Date.now();
      const rows = await tx.selectFrom("jobs").selectAll()
        .where("compiler", "=", Compiler.LLVM).where("compiler_version", "=", VERSION)
        .where((eb) => eb.or([eb("owner", "=", ""), eb("owner", "=", "alice")]))
        .where((eb) => eb.or([
          eb.and([eb("state", "=", "queued"), eb("available_at_ms", "<=", now)]),
          eb.and([eb("state", "=", "leased"), eb("lease_expires_at_ms", "<", now)]),
        ]))
        .orderBy("available_at_ms").orderBy("created_at_ms").orderBy("id").limit(B).forUpdate().skipLocked().execute();
      const out: Array<{ id: string; token: string }> = [];
      for (const row of rows) {
        const token = randomBytes(24).toString("base64url");
        await tx.updateTable("jobs").set({ state: "leased", attempts: row.attempts + 1, lease_expires_at_ms: now + 60_000, claimed_by: `adapter-${i}`, claim_token: token, updated_at_ms: now })
          .where("id", "=", row.id).execute();
        out.push({ id: row.id, token });
      }
      return out;
    }),
    async (i, j) => {
      const { id, token } = j as { id: string; token: string };
      await db.transaction().execute(async (tx) => {
        const now = Date.now();
        const row = await tx.selectFrom("jobs").selectAll().where("id", "=", id).forUpdate().executeTakeFirstOrThrow();
        if (row.state !== "leased" || row.claim_token !== token || row.lease_expires_at_ms < now || row.claimed_by !== `adapter-${i}`) throw new Error("stale");
        await tx.updateTable("jobs").set({ state: "succeeded", signal_id: "x", updated_at_ms: now }).where("id", "=", id).execute();
      });
    }, 600_000);
  if (r.completed !== N) throw new Error(`ours-sql: ${r.completed} completed`);
  return { queue: "ours: same SQL, no audit/signal", database, enqueueMs, ...r, note: "SKIP LOCKED claim + per-row lease update; token-checked completion" };
}

async function pgBoss(boss: Boss, database: string, note: string): Promise<Row> {
  const q = "llvm.14.0.6.alice";
  await boss.createQueue(q, { retryLimit: 4, retryDelay: 1, retryBackoff: true, expireInSeconds: 60 });
  const t0 = performance.now();
  for (let i = 0; i < N; i += 1000) {
    await boss.insert(plans(Math.min(1000, N - i), i).map((p) => ({ name: q, data: { problemId: "p", plan: p.steps } })));
  }
  const enqueueMs = performance.now() - t0;
  const r = await drain(K, async () => boss.fetch(q, { batchSize: B }), async (_i, j) => {
    const res = await boss.complete(q, (j as BossJob).id, { signalId: "x" });
    if (res.affected !== 1) throw new Error("pg-boss complete affected 0");
  }, 600_000);
  if (r.completed !== N) throw new Error(`pg-boss: ${r.completed} completed`);
  return { queue: "pg-boss 10.4.2", database, enqueueMs, ...r, note };
}

function bossOptions(extra: Record<string, unknown>): Record<string, unknown> {
  // No background maintenance/monitoring during throughput runs: it would compete for the 2 cores.
  return { supervise: false, schedule: false, migrate: true, ...extra };
}

// ---------------------------------------------------------------- semantics: ours

type Check = { feature: string; ours: string; boss: string };
const checks = new Map<string, Check>();
function note(feature: string, side: "ours" | "boss", text: string) {
  const c = checks.get(feature) ?? { feature, ours: "", boss: "" };
  c[side] = c[side] === "" ? text : `${c[side]}; ${text}`;
  checks.set(feature, c);
}
async function codeOf(p: Promise<unknown>): Promise<string> {
  try { await p; return "ok"; } catch (e) { if (e instanceof OpmError) return e.code; throw e; }
}

async function semanticsOurs(open: OpenDatabase, database: string): Promise<void> {
  const w = await makeWorld(open, [
    { name: "a1", owner: "alice" }, { name: "a2", owner: "alice" }, { name: "b1", owner: "bob" }, { name: "p1", owner: "" },
    { name: "v1", owner: "alice", version: "14.0.5" },
  ], { baseBackoffMs: 1000, maxBackoffMs: 60_000, defaultMaxAttempts: 4 });
  const [a1, a2, b1, p1, v1] = w.adapters as [Actor, Actor, Actor, Actor, Actor];
  const t = Date.now();
  const claim = (a: Actor, now: number, leaseMs = 1000) => w.call(a, (ctx) => claimJobs(ctx, w.deps, w.config, create(ClaimJobsRequestSchema, { max: 4, leaseMs })), now);
  const jobRow = (id: string) => open.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  const tag = `[${database}]`;

  // routing at claim time
  const { jobIds } = await w.call(w.alice, (ctx) => enqueueJobs(ctx, w.config, create(EnqueueJobsRequestSchema, { problemId: w.problemId, plans: plans(1) })), t);
  const id = jobIds[0]!;
  const other = (await claim(b1, t)).jobs.length, ver = (await claim(v1, t)).jobs.length;
  let pub: string;
  try { pub = String((await claim(p1, t)).jobs.length); } catch (e) { pub = `ERROR ${(e as { code?: string }).code ?? ""} ${(e as Error).message.slice(0, 60)}`; }
  note("routing by compiler + exact version + private owner, at claim time", "ours",
    `${tag} ✓ private job: other owner's adapter got ${other}, alice's adapter on 14.0.5 got ${ver} (same SQL WHERE); an ownerless adapter's claim → ${pub}`);

  // lease expiry → claimable again, recorded
  const [first] = (await claim(a1, t, 1000)).jobs;
  const early = (await claim(a2, t + 500)).jobs.length;
  const [second] = (await claim(a2, t + 1001)).jobs;
  const row = await jobRow(id);
  note("lease expiry makes the job claimable again", "ours",
    `${tag} ✓ a2 got 0 before expiry (t+500 ms), the job at t+1001 ms (attempt ${second?.job?.attempts}); errors[0].code=${JSON.parse(row.errors)[0]?.code}`);

  // stale holder completes / heartbeats after expiry
  const stale = await codeOf(w.call(a1, (ctx) => completeJob(ctx, w.deps, create(CompleteJobRequestSchema, { jobId: id, claimToken: first!.claimToken, signal: signalFor(w, a1, first!) })), t + 1100));
  const after = await jobRow(id);
  note("completion by a stale holder / after expiry is rejected, state unchanged", "ours",
    `${tag} ✓ a1's old-token complete → ${stale}; row still leased to ${after.claimed_by} with a2's token (${after.claim_token === second!.claimToken})`);
  const thief = await codeOf(w.call(a1, (ctx) => heartbeat(ctx, w.deps, w.config, create(HeartbeatRequestSchema, { jobId: id, claimToken: second!.claimToken, leaseMs: 5000 })), t + 1200));
  note("claim tokens / ownership", "ours", `${tag} ✓ 32-char token per claim; a1 presenting a2's token → ${thief}`);

  // heartbeat
  const hb = await w.call(a2, (ctx) => heartbeat(ctx, w.deps, w.config, create(HeartbeatRequestSchema, { jobId: id, claimToken: second!.claimToken, leaseMs: 5000 })), t + 1500);
  const stolen = (await claim(a1, t + 3000)).jobs.length;
  note("heartbeat (lease extension)", "ours", `${tag} ✓ heartbeat at t+1500 → lease to t+${Number(hb.leaseExpiresAtMs) - t}; claim at t+3000 got ${stolen}`);

  // retry with backoff, then dead letter with history (max 4 attempts; attempt 1 was the expiry)
  const delays: number[] = [];
  let now = t + 3000, current = second!;
  for (;;) {
    const res = await w.call(a2, (ctx) => failJob(ctx, w.config, create(FailJobRequestSchema, { jobId: id, claimToken: current.claimToken, code: "tool_crash", message: `attempt ${current.job!.attempts}`, retryable: true })), now);
    if (res.job!.state !== JobState.QUEUED) break;
    const due = Number(res.job!.availableAtMs);
    delays.push(due - now);
    const tooEarly = (await claim(a2, due - 1)).jobs.length;
    if (tooEarly !== 0) throw new Error("claimed before backoff");
    now = due;
    current = (await claim(a2, now)).jobs[0]!;
  }
  const dead = await jobRow(id);
  note("retry with exponential backoff", "ours", `${tag} ✓ delays ${delays.join(", ")} ms (base·2^(n−1), no jitter); claim 1 ms before due got 0`);
  note("dead letter with error history", "ours",
    `${tag} ✓ state=${dead.state} after ${dead.attempts} attempts; errors=[${(JSON.parse(dead.errors) as Array<{ code: string }>).map((e) => e.code).join(", ")}]`);

  // completion twice
  await w.call(w.alice, (ctx) => enqueueJobs(ctx, w.config, create(EnqueueJobsRequestSchema, { problemId: w.problemId, plans: plans(1, 50) })), t + 10);
  const [c] = (await claim(a1, now + 10, 60_000)).jobs;
  const req = create(CompleteJobRequestSchema, { jobId: c!.job!.id, claimToken: c!.claimToken, signal: signalFor(w, a1, c!) });
  const once = await codeOf(w.call(a1, (ctx) => completeJob(ctx, w.deps, req), now + 20));
  const twice = await codeOf(w.call(a1, (ctx) => completeJob(ctx, w.deps, req), now + 30));
  note("idempotent completion", "ours",
    `${tag} ✓ second identical completeJob → ${twice} (first ${once}), nothing changes; with the same idempotency key the RPC layer returns the first result (test/jobs.test.ts "completes … idempotently")`);
  if (database === "PGlite") note("runs on PGlite (embedded)", "ours", "✓ every row above ran on both (tagged [server] / [PGlite]); same code path, same migrations");
}

// ---------------------------------------------------------------- semantics: pg-boss

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, deadlineMs: number): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return { value: v, ms: performance.now() - start };
    if (performance.now() - start > deadlineMs) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await sleep(100);
  }
}

async function semanticsBoss(boss: Boss, tag: string): Promise<void> {
  const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(boss)).concat(Object.keys(boss)).filter((m) => /heart|touch|extend|lease|renew|keepalive/i.test(m));
  note("heartbeat (lease extension)", "boss", `${tag} ✗ no such call in 10.4.2 (methods matching heart|touch|extend|lease|renew: ${methods.length === 0 ? "none" : methods.join(",")}); only a fixed expireInSeconds per job`);

  // lease expiry: expireInSeconds 1, maintenance every 1 s (the minimum)
  await boss.createQueue("exp", { expireInSeconds: 1, retryLimit: 3, retryDelay: 0 });
  const id = (await boss.send("exp", { n: 1 }))!;
  const [held] = await boss.fetch("exp");
  const t = performance.now();
  const again = await waitFor("re-fetch after expiry", async () => (await boss.fetch("exp"))[0], 15_000);
  const meta = await boss.getJobById("exp", id);
  note("lease expiry makes the job claimable again", "boss",
    `${tag} ✓ but only when maintenance runs failJobsByTimeout: re-fetched ${((performance.now() - t) / 1000).toFixed(1)} s after fetch with expireInSeconds=1, maintenanceIntervalSeconds=1 (default interval 120 s); counted as a retry (retryCount=${meta?.retryCount}), output=${JSON.stringify(meta?.output)}`);

  // the old holder completes the job that another worker now holds
  const stale = await boss.complete("exp", held!.id, { by: "old worker" });
  const after = await boss.getJobById("exp", id);
  const second = await boss.complete("exp", again.value.id, { by: "new worker" });
  note("completion by a stale holder / after expiry is rejected, state unchanged", "boss",
    `${tag} ✗ old worker's complete(id) while the new worker holds it → affected=${stale.affected}, state=${after?.state}, output=${JSON.stringify(after?.output)}; the real holder's complete then → affected=${second.affected}`);
  note("claim tokens / ownership", "boss", `${tag} ✗ complete/fail take (queue, id) only: any client that knows the id settles the job`);

  // idempotent completion
  await boss.createQueue("idem");
  const idemId = (await boss.send("idem", {}))!;
  await boss.fetch("idem");
  const c1 = await boss.complete("idem", idemId, { v: 1 });
  const c2 = await boss.complete("idem", idemId, { v: 2 });
  const idem = await boss.getJobById("idem", idemId);
  note("idempotent completion", "boss", `${tag} ✓ (quietly) second complete → affected=${c2.affected} (first ${c1.affected}), no error, output stays ${JSON.stringify(idem?.output)}; the caller cannot tell a replay from a lost race`);

  // retry with backoff, dead letter
  await boss.createQueue("dlq");
  await boss.createQueue("retry", { retryLimit: 3, retryDelay: 1, retryBackoff: true, deadLetter: "dlq" });
  const rid = (await boss.send("retry", { plan: "x" }))!;
  const delays: string[] = [];
  for (let attempt = 1; attempt <= 4; attempt++) {
    const got = await waitFor(`retry attempt ${attempt}`, async () => (await boss.fetch("retry"))[0], 20_000);
    const failedAt = Date.now();
    await boss.fail("retry", got.value.id, { code: "tool_crash", message: `attempt ${attempt}` });
    const m = await boss.getJobById("retry", rid);
    if (m?.state === "retry") delays.push(`${((m.startAfter!.getTime() - failedAt) / 1000).toFixed(2)} s`);
  }
  const final = await boss.getJobById("retry", rid);
  const [dl] = await boss.fetch("dlq", { includeMetadata: true });
  note("retry with exponential backoff", "boss", `${tag} ✓ retryBackoff: delays ${delays.join(", ")} for retryDelay=1 (delay·2^n/2·(1+random()): [1,2) s, [2,4) s, [4,8) s — jittered, not replayable)`);
  note("dead letter with error history", "boss",
    `${tag} ~ dead letter ✓ (state=${final?.state}; dlq got a new job with data ${JSON.stringify(dl?.data)}), history ✗: only the last error is kept (output=${JSON.stringify(final?.output)}); the dlq copy's output=${JSON.stringify(dl?.output)}`);

  // routing: queue names only
  await boss.createQueue("llvm.14.0.6.alice");
  await boss.createQueue("llvm.14.0.6.public");
  await boss.send("llvm.14.0.6.alice", {});
  await boss.send("llvm.14.0.6.public", {});
  let wildcard = "";
  try { wildcard = `${(await boss.fetch("llvm.14.0.6.*")).length} jobs`; } catch (e) { wildcard = `error ${(e as Error).message.slice(0, 60)}`; }
  note("routing by compiler + exact version + private owner, at claim time", "boss",
    `${tag} ~ only by queue name: a queue per (compiler, version, owner) and one fetch per queue an adapter serves (public + its owner's: 2 fetches, no shared order); fetch("llvm.14.0.6.*") → ${wildcard}; nothing checks that the fetching worker may see a private queue`);
}

// ---------------------------------------------------------------- main

function table(rows: Row[]): string {
  const out = ["| queue | database | enqueue N (ms) | drain: claim+complete N (ms) | jobs/s (drain) | claims | claim p50 (ms) | claim p95 (ms) | what a completion does |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"];
  for (const r of rows) {
    out.push(`| ${r.queue} | ${r.database} | ${r.enqueueMs.toFixed(0)} | ${r.drainMs.toFixed(0)} | ${(r.completed / (r.drainMs / 1000)).toFixed(0)} | ${r.claims} | ${pct(r.claimLat, 0.5).toFixed(1)} | ${pct(r.claimLat, 0.95).toFixed(1)} | ${r.note} |`);
  }
  return out.join("\n");
}

async function main(): Promise<void> {
  if (SERVER_URL === "") throw new Error("set OPM_BENCH_POSTGRES_URL (bash scripts/postgres.sh start DIR PORT prints one)");
  console.log(`# queue bench: N=${N} jobs per case, K=${K} workers, batch ${B}; node ${process.version}; ${new Date().toISOString()}`);
  const rows: Row[] = [];
  const step = async (label: string, fn: () => Promise<Row>) => {
    process.stderr.write(`${label}…\n`);
    const r = await fn();
    rows.push(r);
    process.stderr.write(`  ${(r.completed / (r.drainMs / 1000)).toFixed(0)} jobs/s\n`);
  };

  // --- throughput, server
  for (const [label, run] of [["ours functions", oursFunctions], ["ours sql", oursSql]] as const) {
    await step(`${label} / postgres`, async () => {
      const open = await openDatabase({ url: await freshServerDb(), poolSize: K + 2 });
      try { return await run(open, "PostgreSQL server"); } finally { await open.close(); }
    });
  }
  await step("pg-boss / postgres", async () => {
    const boss = new PgBoss(bossOptions({ connectionString: await freshServerDb(), max: K + 2 }));
    boss.on("error", (e) => console.error("pg-boss error:", e));
    await boss.start();
    try { return await pgBoss(boss, "PostgreSQL server", "complete(queue, id) — one UPDATE by id"); } finally { await boss.stop({ graceful: false, wait: true }); }
  });
  // --- throughput, PGlite
  for (const [label, run] of [["ours functions", oursFunctions], ["ours sql", oursSql]] as const) {
    await step(`${label} / pglite`, async () => {
      const open = await openDatabase({ ephemeral: true });
      try { return await run(open, "PGlite (in memory)"); } finally { await open.close(); }
    });
  }
  let bossOnPglite = "";
  {
    const pglite = await PGlite.create();
    const boss = new PgBoss(bossOptions({ db: pgliteForBoss(pglite) }));
    boss.on("error", (e) => console.error("pg-boss/pglite error:", e));
    try {
      await boss.start();
      await step("pg-boss / pglite", () => pgBoss(boss, "PGlite (in memory), via pg-boss `db` adapter", "same, through an executeSql adapter over PGlite"));
      bossOnPglite = "✓ starts and runs send/fetch/complete through a 10-line `db: { executeSql }` adapter (PGlite is PostgreSQL 17 in WASM); not an officially supported target";
    } catch (e) {
      bossOnPglite = `✗ ${(e as Error).message.slice(0, 200)}`;
    } finally {
      await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
      await pglite.close();
    }
  }
  console.log("\n## throughput\n");
  console.log(table(rows));

  // --- semantics
  process.stderr.write("semantics…\n");
  for (const [db, open] of [["server", await openDatabase({ url: await freshServerDb(), poolSize: 4 })], ["PGlite", await openDatabase({ ephemeral: true })]] as const) {
    try { await semanticsOurs(open, db); } finally { await open.close(); }
  }
  {
    const boss = new PgBoss({ connectionString: await freshServerDb(), max: 4, supervise: true, schedule: false, maintenanceIntervalSeconds: 1, monitorStateIntervalSeconds: 60 });
    boss.on("error", (e) => console.error("pg-boss error:", e));
    await boss.start();
    try { await semanticsBoss(boss, "[server]"); } finally { await boss.stop({ graceful: false, wait: true }); }
  }
  note("runs on PGlite (embedded)", "boss", bossOnPglite);
  console.log("\n## semantics\n");
  console.log("| feature | ours (src/server/jobs) | pg-boss 10.4.2 |\n| --- | --- | --- |");
  for (const c of checks.values()) console.log(`| ${c.feature} | ${c.ours} | ${c.boss} |`);
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});

/**
 * Corroboration cost: how many extra evaluations spot checks cost an honest search, at the
 * default fraction, with and without the rules that make lying unprofitable (an adapter's
 * first completions and every would-be-best result are checked; `CheckRules`). Two arms in
 * one run, on the same programs, strategies, budget and seed, each strategy on a fresh pair
 * of embedded registries (in-memory databases), one per arm, each with the same number of
 * honest in-process LLVM adapters, the two arms' searches interleaved:
 *
 *   sample    — `spotCheckFraction` 0.05 only (`newAdapterChecks` 0, `checkNewBest` false): before issue 14;
 *   rules     — the registry's defaults: the same sample, plus the two rules.
 *
 * Every search is `optimize` on a public problem (only public problems are checked). After
 * each search the bench waits until the problem's queue is empty (checks still running
 * when a search ends are evaluations too), then counts its jobs: the search's own and the
 * checks (tie-breaks included), and attributes each check to its reason from the
 * `spot_check.select` audit events. The arms' samples differ (the key and the job ids do),
 * so within the `rules` arm the checks are also split by reason. Both arms also re-measure
 * at least one plan locally per search (the participant's corroboration): the same in
 * both, so not counted here.
 *
 *   npx tsc --outDir .tmp/corroboration --rootDir . --module nodenext --moduleResolution nodenext \
 *     --target es2022 --lib es2023 --types node --skipLibCheck --sourceMap false bench/corroboration/corroboration-bench.ts
 *   node .tmp/corroboration/bench/corroboration/corroboration-bench.js --programs bitcount,crc32,rc4,sha256 --strategies random,greedy --budget 60
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { runAdapter } from "../../src/adapters/framework/adapter-process.js";
import { IrStore } from "../../src/adapters/framework/ir-store.js";
import { toolchainFor } from "../../src/adapters/framework/toolchains.js";
import { optimize, strategyNamed } from "../../src/client/orchestrator/index.js";
import { JobService, JobState } from "../../src/gen/openpassmarket/v1/job_service_pb.js";
import { RegistryService } from "../../src/gen/openpassmarket/v1/registry_service_pb.js";
import { createLogger } from "../../src/kernel/logger/index.js";
import { issueIdentity, loadIdentity, loadNodeCa } from "../../src/kernel/pki/index.js";
import { createRpcClient } from "../../src/kernel/wire/index.js";
import { DEFAULT_JOBS_CONFIG, type JobsConfig } from "../../src/server/jobs/index.js";
import { startRegistryNode } from "../../src/server/node/index.js";
import { corpusPrograms } from "../corpus/index.js";

const { values } = parseArgs({
  options: {
    programs: { type: "string", default: "bitcount,crc32,rc4,sha256" }, strategies: { type: "string", default: "random,greedy" },
    budget: { type: "string", default: "60" }, adapters: { type: "string", default: "2" }, seed: { type: "string", default: "1" },
    "max-steps": { type: "string", default: "24" },
  },
});
const budget = Number(values.budget);
const adapterCount = Number(values.adapters);
const strategies = values.strategies!.split(",").map((s) => strategyNamed(s, "strategies").name);
const wanted = values.programs!.split(",");
const programs = corpusPrograms().filter((p) => wanted.includes(p.name));
const log = createLogger({ silent: true });

const ARMS: Array<{ name: string; jobs: Partial<JobsConfig> }> = [
  { name: "sample", jobs: { spotCheckFraction: DEFAULT_JOBS_CONFIG.spotCheckFraction, newAdapterChecks: 0, checkNewBest: false } },
  { name: "rules", jobs: {} },
];
const REASONS = ["sampled", "new adapter", "new best", "other"] as const;
type Reason = (typeof REASONS)[number];

function reasonOf(detail: string): Reason {
  if (detail.includes("(sampled at fraction")) return "sampled";
  if (/\(completion \d+ of .*'s first \d+ on public problems\)/.test(detail)) return "new adapter";
  if (detail.includes("would become the best") || detail.includes("the first accepted result of problem")) return "new best";
  return "other";
}

interface Row {
  arm: string;
  program: string;
  strategy: string;
  searchJobs: number;
  checkJobs: number;
  byReason: Record<Reason, number>;
  searchSeconds: number;
  drainSeconds: number;
  best: number;
}

/** A fresh embedded registry with the arm's settings and honest in-process LLVM adapters. */
async function startMarket(arm: (typeof ARMS)[number]) {
  const dir = mkdtempSync(join(tmpdir(), "opm-corroboration-bench-"));
  const node = await startRegistryNode({ dataDir: join(dir, "node"), host: "127.0.0.1", port: 0, log, ephemeralDb: true, jobs: arm.jobs });
  const ca = loadNodeCa(join(dir, "node"));
  const registry = createRpcClient(RegistryService, { address: node.address, identity: loadIdentity(node.adminDir) });
  const participant = await issueIdentity(ca, "participant");
  const jobs = createRpcClient(JobService, { address: node.address, identity: participant });
  const controller = new AbortController();
  const running: Array<Promise<void>> = [];
  for (let i = 0; i < adapterCount; i++) {
    const identity = await issueIdentity(ca, `honest-${i + 1}`);
    running.push(runAdapter({
      registry: node.address, identity, toolchain: await toolchainFor("llvm"), concurrency: 1, leaseMs: 60_000, log, signal: controller.signal, maxPollMs: 100,
    }));
    while (!(await registry.getActor({ name: identity.name }).catch(() => undefined))?.actor) await sleep(50);
    await registry.admitAdapter({ adapter: identity.name, keyId: identity.keys.keyId, reason: "corroboration bench" });
  }
  let auditAfter = 0n;

  /** One search of `program` with `strategy`, its checks drained; its jobs counted. */
  async function search(program: (typeof programs)[number], strategy: string): Promise<Row> {
    const started = performance.now();
    const result = await optimize({
      file: program.path, compiler: "llvm", objective: "ir-instcount", strategy, seed: Number(values.seed), maxEvaluations: budget,
      maxSteps: Number(values["max-steps"]), visibility: "public",
      market: { address: node.address, identity: participant, irStore: new IrStore(join(dir, "ir")), parallelism: adapterCount },
    });
    const searchSeconds = (performance.now() - started) / 1000;
    let all = (await jobs.listJobs({ problemId: result.problemId })).jobs;
    for (const deadline = Date.now() + 15 * 60_000; all.some((j) => j.state === JobState.QUEUED || j.state === JobState.LEASED);) {
      if (Date.now() > deadline) throw new Error(`checks of ${program.name} did not drain`);
      await sleep(100);
      all = (await jobs.listJobs({ problemId: result.problemId })).jobs;
    }
    const drainSeconds = (performance.now() - started) / 1000 - searchSeconds;
    const byReason = Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<Reason, number>;
    const searchIds = new Set(all.filter((j) => j.checkOf === "").map((j) => j.id));
    for (;;) {
      const { events } = await registry.listAuditEvents({ afterSequence: auditAfter, limit: 1000 });
      if (events.length === 0) break;
      for (const e of events) if (e.action === "spot_check.select" && searchIds.has(e.object)) byReason[reasonOf(e.detail)]++;
      auditAfter = events.at(-1)!.sequence;
    }
    const row: Row = {
      arm: arm.name, program: program.name, strategy, searchJobs: searchIds.size, checkJobs: all.length - searchIds.size, byReason,
      searchSeconds, drainSeconds, best: result.best,
    };
    process.stderr.write(`${arm.name} ${program.name} ${strategy}: ${row.searchJobs} search jobs, ${row.checkJobs} checks ${JSON.stringify(byReason)}, ` +
      `best ${row.best}, ${searchSeconds.toFixed(1)} s + ${drainSeconds.toFixed(1)} s draining\n`);
    return row;
  }

  return {
    search,
    stop: async () => {
      controller.abort();
      await Promise.allSettled(running);
      registry.close();
      jobs.close();
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// One pair of fresh registries per strategy (a problem is content-addressed: two strategies
// on one registry would share it), the arms' searches interleaved so that machine load
// drifts over both alike.
const started = performance.now();
const results: Row[] = [];
for (const strategy of strategies) {
  const markets = [];
  for (const arm of ARMS) markets.push(await startMarket(arm));
  try {
    for (const program of programs) for (const market of markets) results.push(await market.search(program, strategy));
  } finally {
    for (const market of markets) await market.stop();
  }
}

const sum = (rows: Row[], f: (r: Row) => number) => rows.reduce((a, r) => a + f(r), 0);
const key = (r: Row) => `${r.program} ${r.strategy}`;
const sample = new Map(results.filter((r) => r.arm === "sample").map((r) => [key(r), r]));
const rules = results.filter((r) => r.arm === "rules");
const lines = [
  `| program | strategy | search evaluations | checks, sample only | checks with rules | of which sampled / new adapter / new best | search s, sample → rules |`,
  `|---|---|---:|---:|---:|---|---:|`,
  ...rules.map((r) => {
    const s = sample.get(key(r))!;
    return `| ${r.program} | ${r.strategy} | ${r.searchJobs} | ${s.checkJobs} | ${r.checkJobs} | ${r.byReason.sampled} / ${r.byReason["new adapter"]} / ${r.byReason["new best"]}${r.byReason.other ? ` (+${r.byReason.other} other)` : ""} | ${s.searchSeconds.toFixed(1)} → ${r.searchSeconds.toFixed(1)} |`;
  }),
];
const perSearch = (rows: Row[]) => sum(rows, (r) => r.checkJobs) / rows.length;
const searches = rules.length;
// The first search on each registry pays the new adapters' trial checks; the others show the steady state.
const later = rules.filter((r) => r.program !== programs[0]!.name);
lines.push(
  "",
  `${searches} searches per arm (${programs.map((p) => p.name).join(", ")} × ${strategies.join(", ")}), budget ${budget}, ${adapterCount} honest adapters, ` +
    `${((performance.now() - started) / 1000).toFixed(0)} s in all.`,
  `checks per search: sample only ${perSearch([...sample.values()]).toFixed(2)}, with rules ${perSearch(rules).toFixed(2)} ` +
    `(extra ${(perSearch(rules) - perSearch([...sample.values()])).toFixed(2)} per search, ${((100 * sum(rules, (r) => r.checkJobs)) / sum(rules, (r) => r.searchJobs)).toFixed(1)}% of the search's evaluations with rules vs ` +
    `${((100 * sum([...sample.values()], (r) => r.checkJobs)) / sum([...sample.values()], (r) => r.searchJobs)).toFixed(1)}% sample only).`,
  `with rules, by reason over all searches: sampled ${sum(rules, (r) => r.byReason.sampled)}, new adapter ${sum(rules, (r) => r.byReason["new adapter"])}, ` +
    `new best ${sum(rules, (r) => r.byReason["new best"])}; after the first search on each registry: ${later.length === 0 ? "n/a" : `${perSearch(later).toFixed(2)} checks per search with rules vs ${perSearch(later.map((r) => sample.get(key(r))!)).toFixed(2)} sample only`}.`,
  `search wall time (until the search's own evaluations are done; the checks drained in ${sum(results, (r) => r.drainSeconds).toFixed(1)} s more in all): ` +
    `sample only ${sum([...sample.values()], (r) => r.searchSeconds).toFixed(0)} s, with rules ${sum(rules, (r) => r.searchSeconds).toFixed(0)} s.`,
);
process.stdout.write(`${lines.join("\n")}\n`);

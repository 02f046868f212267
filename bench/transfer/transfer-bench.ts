/**
 * Leave-one-out transfer (issue 15): for each program, a plan set built only from the
 * other programs' results, then searches on the program itself — random, greedy, transfer
 * (nearest-neighbour ranking) and transfer with the plan set's own (unweighted) order —
 * compared on evaluations needed to reach 95 % of the best-known improvement over
 * `default<Oz>` and on the geomean against `default<Oz>` at 45 evaluations and at 60 s.
 *
 *   npm run build && node dist/bench/transfer/transfer-bench.js [--real zlib,bzip2] [--csmith 14] [--random-pool 100] [--cap 120]
 *
 * Evaluations go straight to the LLVM toolchain (opt, instruction count; no registry) and
 * are cached with every verdict in `bench/transfer/results-cache.json`, so reruns are cheap.
 * Every reported best is re-made with plain `opt` and verified on the program's runs
 * (`verifyTransform`, the metric claimed); one that fails is passed over for the next best.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { mapConcurrent } from "../../src/adapters/framework/map-concurrent.js";
import { toolchainFor } from "../../src/adapters/framework/toolchains.js";
import { GreedySearch, RandomSearch, bestOf, EMPTY_SIGNAL_SOURCE, type Evaluation, type MarketSignal, type Strategy } from "../../src/client/orchestrator/index.js";
import { transferSearch } from "../../src/client/orchestrator/transfer.js";
import type { PlanSet } from "../../src/gen/openpassmarket/v1/planset_pb.js";
import { buildPlanSet, planSetVersion, type PlanRanking } from "../../src/client/planset/index.js";
import { planKey, type Plan, type SearchSpace } from "../../src/kernel/plan/index.js";
import { benchPrograms } from "./bench-programs.js";
import { evaluatePlan, loadCache, prepareProgram, saveCache, verifyPlan, type Prepared } from "./results-matrix.js";

const { values } = parseArgs({
  options: {
    real: { type: "string", default: "zlib,bzip2" }, csmith: { type: "string", default: "14" }, "random-pool": { type: "string", default: "100" },
    cap: { type: "string", default: "120" }, "max-steps": { type: "string", default: "24" }, seconds: { type: "string", default: "60" },
    parallelism: { type: "string", default: "2" }, programs: { type: "string" }, cache: { type: "string" },
  },
});
const here = dirname(fileURLToPath(import.meta.url));
const benchDir = here.includes(`${join("dist", "bench")}`) ? here.replace(join("dist", "bench"), "bench") : here;
const cachePath = values.cache ?? join(benchDir, "results-cache.json");
const cap = Number(values.cap), seconds = Number(values.seconds), parallelism = Number(values.parallelism);
const log = (s: string): void => void process.stderr.write(`${s}\n`);
const started = performance.now();

const toolchain = await toolchainFor("llvm");
const { version } = await toolchain.info();
const space: SearchSpace = toolchain.searchSpace(await toolchain.catalog(), "ir-instcount", Number(values["max-steps"]));
mkdirSync(join(benchDir), { recursive: true });
const wanted = values.programs?.split(",");
const programs = benchPrograms(values.real!.split(",").filter((s) => s !== ""), Number(values.csmith), join(benchDir, "csmith"))
  .filter((p) => wanted === undefined || wanted.includes(p.name));
const cache = loadCache(cachePath);
const save = (): void => saveCache(cachePath, cache);

// ── The pool: default<Oz>, default<Oz> + each move (greedy's first round), random search's first plans (seed 1).
const pool: Plan[] = [{ steps: [...space.prefix] }, ...space.moves.map((m) => ({ steps: [...space.prefix, m] }))];
const seen = new Set(pool.map(planKey));
for (const p of new RandomSearch(space, 1).next([], Number(values["random-pool"]) + 1)) if (!seen.has(planKey(p))) { seen.add(planKey(p)); pool.push(p); }

const prepared: Prepared[] = [];
for (const program of programs) {
  const t = performance.now();
  const p = await prepareProgram(toolchain, program, cache, version);
  const todo = pool.filter((plan) => !(planKey(plan) in p.record.values));
  await mapConcurrent(todo, (plan) => evaluatePlan(toolchain, p, plan), parallelism);
  await verifyPlan(toolchain, p, pool[0]!); // the default: builds the references once
  prepared.push(p);
  save();
  log(`${program.name} (${program.kind}): baseline ${p.record.baseline}, ${todo.length} new evaluations, ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

// ── Leave-one-out searches.
const signalsOf = (p: Prepared): MarketSignal[] => pool.flatMap((plan) => {
  const v = p.record.values[planKey(plan)];
  return v == null ? [] : [{ signalId: `${p.record.name}:${planKey(plan)}`, problemId: p.record.name, compilerVersion: version, features: p.record.features, plan, baseline: p.record.baseline, achieved: v }];
});
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };

interface Row { program: string; baseline: number; bestKnown: number; byStrategy: Record<string, { to95: number | undefined; at45: number; atTime: number; evalsAtTime: number }> }
const STRATEGIES = ["random", "greedy", "transfer", "transfer-unweighted"] as const;
const rows: Row[] = [];
let verificationFailures = 0;

for (const p of prepared) {
  const others = prepared.filter((q) => q !== p).flatMap(signalsOf);
  let set: PlanSet | undefined;
  try {
    set = buildPlanSet(others, { compiler: "llvm", objective: "ir-instcount", compilerVersion: version });
  } catch {
    set = undefined; // nothing the others measured improved anything
  }
  const context = {
    problem: { compiler: "llvm" as const, compilerVersion: version, objective: "ir-instcount" as const, features: p.record.features, baseline: p.record.baseline },
    space, seed: 1, budget: { maxEvaluations: cap }, signals: EMPTY_SIGNAL_SOURCE,
  };
  const make: Record<(typeof STRATEGIES)[number], () => Strategy> = {
    random: () => new RandomSearch(space, 1),
    greedy: () => new GreedySearch(space),
    transfer: () => transferSearch(context, set, "nearest" satisfies PlanRanking),
    "transfer-unweighted": () => transferSearch(context, set, "selection"),
  };
  const histories: Record<string, Evaluation[]> = {};
  for (const name of STRATEGIES) histories[name] = await simulate(make[name](), p, cap);
  save();
  // Best known: the smallest verified value among everything evaluated on this program.
  const bestKnown = (await bestVerified(p, Object.keys(p.record.values).filter((k) => p.record.values[k] != null))) ?? p.record.baseline;
  const perEvalMs = median(p.record.verifyMs.slice(1)) + 0; // verification of each evaluation, as the market's adapters do
  const firstMs = p.record.verifyMs[0] ?? 0;
  const row: Row = { program: p.record.name, baseline: p.record.baseline, bestKnown, byStrategy: {} };
  for (const name of STRATEGIES) {
    const h = histories[name]!;
    const target = p.record.baseline - 0.95 * (p.record.baseline - bestKnown);
    let to95: number | undefined;
    for (let i = 0; i < h.length && to95 === undefined; i++) {
      const v = h[i]!.value;
      if (v !== undefined && v <= target && (await verifyPlan(toolchain, p, h[i]!.plan))) to95 = i + 1;
    }
    // Simulated wall clock: one-time reference builds, then each evaluation's opt time plus its verification, over `parallelism` adapters.
    let clock = firstMs, n = 0;
    while (n < h.length && clock + (p.record.ms[planKey(h[n]!.plan)] ?? 0) + perEvalMs <= seconds * 1000 * parallelism) clock += (p.record.ms[planKey(h[n++]!.plan)] ?? 0) + perEvalMs;
    const at = async (k: number): Promise<number> => (await bestVerified(p, h.slice(0, Math.max(1, k)).filter((e) => e.value !== undefined).map((e) => planKey(e.plan)))) ?? p.record.baseline;
    row.byStrategy[name] = { to95, at45: p.record.baseline / (await at(45)), atTime: p.record.baseline / (await at(n)), evalsAtTime: n };
  }
  rows.push(row);
  save();
  log(`${p.record.name}: -Oz ${p.record.baseline}, best known ${bestKnown}, plan set ${set === undefined ? "none" : `${planSetVersion(set).slice(0, 12)} (${set.plans.length} plans)`}; ${STRATEGIES.map((s) => `${s} 95% at ${row.byStrategy[s]!.to95 ?? `>${cap}`}, 45: ${row.byStrategy[s]!.at45.toFixed(4)}×, ${seconds} s (${row.byStrategy[s]!.evalsAtTime} evals): ${row.byStrategy[s]!.atTime.toFixed(4)}×`).join("; ")}`);
}
await toolchain.close();

/** Runs `strategy` on `p` as runSearch does (batches of 2 × parallelism), evaluations from the cache or opt. */
async function simulate(strategy: Strategy, p: Prepared, max: number): Promise<Evaluation[]> {
  const history: Evaluation[] = [];
  while (history.length < max) {
    const plans = strategy.next(history, Math.min(2 * parallelism, max - history.length));
    if (plans.length === 0) break;
    const results = await mapConcurrent(plans, (plan) => evaluatePlan(toolchain, p, plan), parallelism);
    plans.forEach((plan, i) => history.push({ plan, value: results[i] }));
  }
  return history;
}

/** The smallest value among `keys` whose plan verifies (checked smallest first). */
async function bestVerified(p: Prepared, keys: string[]): Promise<number | undefined> {
  const byValue = [...new Set(keys)].sort((a, b) => p.record.values[a]! - p.record.values[b]! || (a < b ? -1 : 1));
  for (const key of byValue) {
    const plan: Plan = { steps: key === "" ? [] : key.split(" ").map((s) => { const i = s.indexOf("="); return i < 0 ? { pass: s } : { pass: s.slice(0, i), value: s.slice(i + 1) }; }) };
    if (await verifyPlan(toolchain, p, plan)) return p.record.values[key]!;
    verificationFailures++;
  }
  return undefined;
}

// ── Report.
const geomean = (xs: number[]): number => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
const lines = [
  `| program | -Oz | best known | ${STRATEGIES.map((s) => `${s} evals to 95 %`).join(" | ")} | ${STRATEGIES.map((s) => `${s} × at 45`).join(" | ")} | ${STRATEGIES.map((s) => `${s} × at ${seconds} s`).join(" | ")} |`,
  `|---|---:|---:|${STRATEGIES.map(() => "---:").join("|")}|${STRATEGIES.map(() => "---:").join("|")}|${STRATEGIES.map(() => "---:").join("|")}|`,
  ...rows.map((r) => `| ${r.program} | ${r.baseline} | ${r.bestKnown} | ${STRATEGIES.map((s) => r.byStrategy[s]!.to95 ?? `>${cap}`).join(" | ")} | ${STRATEGIES.map((s) => r.byStrategy[s]!.at45.toFixed(4)).join(" | ")} | ${STRATEGIES.map((s) => `${r.byStrategy[s]!.atTime.toFixed(4)} (${r.byStrategy[s]!.evalsAtTime})`).join(" | ")} |`),
  "",
  "| strategy | reached 95 % | mean evals to 95 % (not reached = cap+1) | median | geomean × at 45 | geomean × at 60 s |",
  "|---|---:|---:|---:|---:|---:|",
  ...STRATEGIES.map((s) => {
    const to = rows.map((r) => r.byStrategy[s]!.to95 ?? cap + 1);
    return `| ${s} | ${rows.filter((r) => r.byStrategy[s]!.to95 !== undefined).length}/${rows.length} | ${(to.reduce((a, b) => a + b, 0) / to.length).toFixed(1)} | ${median(to)} | ${geomean(rows.map((r) => r.byStrategy[s]!.at45)).toFixed(4)} | ${geomean(rows.map((r) => r.byStrategy[s]!.atTime)).toFixed(4)} |`;
  }),
  "",
  `${rows.length} programs (${["corpus", "real", "csmith"].map((k) => `${prepared.filter((p) => p.program.kind === k).length} ${k}`).join(", ")}), LLVM ${version} ir-instcount, pool ${pool.length} plans, cap ${cap} evaluations, ${((performance.now() - started) / 1000).toFixed(0)} s; best results that failed verification and were passed over: ${verificationFailures}`,
];
process.stdout.write(`${lines.join("\n")}\n`);

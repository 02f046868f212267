/**
 * Leave-one-out transfer (issue 15): for each program, a plan set built only from the
 * other programs' verified results, then searches on the program itself — random, greedy,
 * transfer (nearest-neighbour ranking), transfer with the plan set's own (unweighted)
 * order, and every newer strategy of `STRATEGIES` (the ensemble) — compared on evaluations
 * needed to reach 95 % of the best-known improvement over the compiler's default, and on
 * the geomean against that default at 45 evaluations and at 60 s.
 *
 *   npx tsc … bench/transfer/transfer-bench.ts (see bench/transfer/README.md), then
 *   node .tmp/transfer/bench/transfer/transfer-bench.js [--compiler llvm|gcc|cranelift]
 *     [--real zlib,bzip2,xz,lua] [--csmith 16] [--random-pool 100] [--cap 120] [--json FILE]
 *
 * Evaluations go straight to the toolchain (no registry) and are cached with every
 * verdict in `bench/transfer/results-cache.json.gz`, so reruns are cheap. What may teach
 * (`--teach all`, the default): per program, its improving pool results that the verifier
 * accepted (best first, at most `--teach-max`), and every verified improving result the
 * cache's frozen teaching snapshot holds for it (the strategies' verified bests of earlier
 * runs included); `--teach pool`: the pool results alone. Program P's plan set is built
 * from the other programs' teaching signals only, fixed before any search of this run. A strategy
 * sees a would-be-best value only when it verifies (as the market's adapters verify
 * every evaluation). Every reported best is verified on the program's runs and its metric
 * measured by the benchmark itself (LLVM: plain `opt -passes=…`, instructions counted
 * here); then the reported bests are re-made once more, uncached, and compared.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { mapConcurrent } from "../../src/adapters/framework/map-concurrent.js";
import { runTool } from "../../src/adapters/framework/run-tool.js";
import { declarationOf, toolchainFor } from "../../src/adapters/framework/toolchains.js";
import { findLlvmTools } from "../../src/adapters/llvm/find-llvm-tools.js";
import { countInstructions } from "../../src/adapters/llvm/inst-count-features.js";
import { readLlvmIr } from "../../src/adapters/llvm/read-llvm-ir.js";
import { bestOf, recordedSignalSource, STRATEGIES as LIBRARY_STRATEGIES, strategyNamed, type Evaluation, type MarketSignal, type Strategy, type StrategyContext } from "../../src/client/orchestrator/index.js";
import { transferSearch } from "../../src/client/orchestrator/transfer.js";
import type { PlanSet } from "../../src/gen/openpassmarket/v1/planset_pb.js";
import { buildPlanSet, planSetVersion } from "../../src/client/planset/index.js";
import { parseCompiler, parsePlanKey, planKey, type Objective, type Plan, type SearchSpace } from "../../src/kernel/plan/index.js";
import { benchPrograms } from "./bench-programs.js";
import { evaluatePlan, loadCache, prepareProgram, recordKey, saveCache, snapshotTeaching, verifyPlan, type Prepared } from "./results-matrix.js";

const { values } = parseArgs({
  options: {
    compiler: { type: "string", default: "llvm" }, objective: { type: "string" },
    real: { type: "string", default: "" }, csmith: { type: "string", default: "16" }, "random-pool": { type: "string", default: "100" },
    "moves-in-pool": { type: "string" }, cap: { type: "string", default: "120" }, "max-steps": { type: "string", default: "24" },
    seconds: { type: "string", default: "60" }, parallelism: { type: "string", default: "2" }, programs: { type: "string" }, cache: { type: "string" },
    "prepare-only": { type: "boolean" }, strategies: { type: "string" }, "teach-max": { type: "string", default: "30" }, teach: { type: "string" }, search: { type: "string" },
    "real-coverage": { type: "string", default: "0.8" }, json: { type: "string" },
    // Real programs cost ~100× a corpus program per evaluation and verification: a smaller budget and fewer teaching results each.
    "real-cap": { type: "string", default: "45" }, "real-teach-max": { type: "string", default: "10" },
  },
});
const here = dirname(fileURLToPath(import.meta.url));
// The sources' folder (cache, Csmith programs), also when this runs compiled from dist/ or .tmp/.
const benchDir = existsSync(join(here, "bench-programs.ts")) ? here : join(process.cwd(), "bench", "transfer");
const cap = Number(values.cap), seconds = Number(values.seconds), parallelism = Number(values.parallelism), teachMax = Number(values["teach-max"]);
const capOf = (p: Prepared): number => (p.program.kind === "real" ? Number(values["real-cap"]) : cap);
const teachMaxOf = (p: Prepared): number => (p.program.kind === "real" ? Number(values["real-teach-max"]) : teachMax);
const log = (s: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
const started = performance.now();

const compiler = parseCompiler(values.compiler!);
// One cache per compiler, so runs for two compilers can go side by side.
const cachePath = values.cache ?? join(benchDir, compiler === "llvm" ? "results-cache.json.gz" : `results-cache-${compiler}.json.gz`);
const objective = (values.objective ?? declarationOf(compiler).objectives[0]) as Objective;
const toolchain = await toolchainFor(compiler);
const { version } = await toolchain.info();
const space: SearchSpace = toolchain.searchSpace(await toolchain.catalog(), objective, Number(values["max-steps"]));
mkdirSync(benchDir, { recursive: true });
const wanted = values.programs?.split(",");
const realCoverage = values["real-coverage"] === "" ? undefined : Number(values["real-coverage"]);
const programs = benchPrograms(values.real!.split(",").filter((s) => s !== ""), Number(values.csmith), join(benchDir, "csmith"), realCoverage, compiler === "gcc")
  .filter((p) => wanted === undefined || wanted.includes(p.name));
const cache = loadCache(cachePath);
const save = (): void => saveCache(cachePath, cache);
// Default: all for LLVM; pool for GCC and Cranelift, as their figures were measured (GCC's keys
// with valued options do not parse back into plans, so a snapshot could not teach them all).
values.teach ??= compiler === "llvm" ? "all" : "pool";
if (values.teach !== "all" && values.teach !== "pool") throw new Error(`--teach: ${JSON.stringify(values.teach)} is not all or pool`);
// The results that may teach besides the pool, frozen the first time (before this run evaluates anything).
if (values.teach === "all" && cache.teachingSnapshot === undefined) cache.teachingSnapshot = snapshotTeaching(cache);

// ── The pool: the default, the default + each move (greedy's first round; `--moves-in-pool` of them), random search's first plans (seed 1).
const moves = values["moves-in-pool"] === undefined ? space.moves : space.moves.slice(0, Number(values["moves-in-pool"]));
const pool: Plan[] = [{ steps: [...space.prefix] }, ...moves.map((m) => ({ steps: [...space.prefix, m] }))];
const seen = new Set(pool.map(planKey));
const seedOne = await strategyNamed("random").prepare({
  problem: { compiler, compilerVersion: version, objective, features: {}, baseline: 0 }, space, seed: 1, budget: { maxEvaluations: 1 }, signals: recordedSignalSource([]),
});
for (const p of seedOne.next([], Number(values["random-pool"]) + 1)) if (!seen.has(planKey(p))) { seen.add(planKey(p)); pool.push(p); }

/** Every plan proposed in this run, by key (see `planOfKey`). */
const knownPlans = new Map<string, Plan>(pool.map((plan) => [planKey(plan), plan]));

const prepared: Prepared[] = [];
for (const program of programs) {
  const t = performance.now();
  let p: Prepared;
  try {
    p = await prepareProgram(toolchain, program, cache, compiler, objective, version);
  } catch (err) {
    log(`${program.name} (${program.kind}): left out, ${compiler} cannot take it: ${(err as Error).message.split("\n")[0]}`);
    continue;
  }
  const todo = pool.filter((plan) => !(planKey(plan) in p.record.values));
  await mapConcurrent(todo, async (plan) => { await evaluatePlan(toolchain, p, plan); if (Object.keys(p.record.values).length % 25 === 0) save(); }, parallelism);
  await verifyPlan(toolchain, p, pool[0]!); // the default: builds the references once
  prepared.push(p);
  save();
  log(`${program.name} (${program.kind}): baseline ${p.record.baseline}, ${todo.length} new evaluations, ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
if (values["prepare-only"] === true) {
  await toolchain.close();
  process.exit(0);
}

/** Verification attempts per question (a program whose results keep failing verification is not searched for ever). */
const MAX_VERIFY_ATTEMPTS = 25;
let verificationFailures = 0;

// ── What may teach: per program, its improving pool results that verify, best first, none better than its best verified pool result.
const teaching = new Map<Prepared, MarketSignal[]>();
for (const p of prepared) {
  const t = performance.now();
  const poolBest = (await bestVerified(p, pool.map(planKey).filter((k) => p.record.values[k] != null))) ?? p.record.baseline;
  const improving = pool.filter((plan) => { const v = p.record.values[planKey(plan)]; return v != null && v < p.record.baseline && v >= poolBest; })
    .sort((a, b) => p.record.values[planKey(a)]! - p.record.values[planKey(b)]! || (planKey(a) < planKey(b) ? -1 : 1))
    .slice(0, teachMaxOf(p));
  const ok = await mapConcurrent(improving, (plan) => verifyPlan(toolchain, p, plan), parallelism);
  const taught = improving.filter((_, i) => ok[i]);
  // Every verified improving result of the frozen snapshot (measured on this very input; still accepted).
  const frozen = values.teach === "all" ? cache.teachingSnapshot?.programs[recordKey(compiler, p.record.name)] : undefined;
  const fromPool = new Set(taught.map(planKey));
  const fromSnapshot = frozen === undefined || frozen.digest !== p.record.digest ? [] : frozen.keys
    .filter((k) => !fromPool.has(k) && p.record.verdicts[k] === "accepted" && p.record.values[k] != null && p.record.values[k]! < p.record.baseline)
    .map(planOfKey).filter((plan): plan is Plan => plan !== undefined);
  teaching.set(p, [...taught, ...fromSnapshot].map((plan) => ({
    signalId: `${p.record.name}:${planKey(plan)}`, problemId: p.record.name, compilerVersion: version, features: p.record.features,
    plan, baseline: p.record.baseline, achieved: p.record.values[planKey(plan)]!,
  })));
  for (const plan of fromSnapshot) knownPlans.set(planKey(plan), plan);
  save();
  log(`${p.record.name}: best verified pool result ${poolBest} (-${(100 * (1 - poolBest / p.record.baseline)).toFixed(2)} %), ${taught.length}/${improving.length} improving pool results verified and teach, ${fromSnapshot.length} more verified results from the snapshot, ${((performance.now() - t) / 1000).toFixed(1)} s`);
}

// ── Leave-one-out searches.
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
const OLDER = new Set(["random", "greedy", "screen", "market-first", "transfer"]);
const strategyNames = values.strategies?.split(",") ?? ["random", "greedy", "transfer", "transfer-nearest", "transfer-model", "transfer-unweighted", ...LIBRARY_STRATEGIES.map((s) => s.name).filter((n) => !OLDER.has(n))];
log(`strategies: ${strategyNames.join(", ")}; pool ${pool.length} plans; ${prepared.length} programs`);

interface StrategyRow { to95: number | undefined; at45: number; atTime: number; evalsAtTime: number; bestAtTime: string; evaluated: number }
interface Row { program: string; kind: string; cap: number; baseline: number; bestKnown: number; bestKnownPlan: string; planSet: string; planSetSize: number; byStrategy: Record<string, StrategyRow> }
const rows: Row[] = [];
// Which programs are searched (`--search a,b`; default all): the others still teach. Real
// programs go last (they cost most), so a run stopped for time has every other row.
const searched = values.search === undefined ? prepared : prepared.filter((p) => values.search!.split(",").includes(p.record.name));
const searchOrder = [...searched].sort((a, b) => Number(a.program.kind === "real") - Number(b.program.kind === "real"));

for (const p of searchOrder) {
  const others = prepared.filter((q) => q !== p).flatMap((q) => teaching.get(q)!);
  let set: PlanSet | undefined;
  try {
    set = buildPlanSet(others, { compiler, objective, compilerVersion: version });
  } catch {
    set = undefined; // nothing the others verified improved anything
  }
  const context: StrategyContext = {
    problem: { compiler, compilerVersion: version, objective, features: p.record.features, baseline: p.record.baseline },
    space, seed: 1, budget: { maxEvaluations: capOf(p) }, signals: recordedSignalSource(others),
  };
  const histories: Record<string, Evaluation[]> = {};
  for (const name of strategyNames) {
    // "transfer" ranks as the product does (DEFAULT_RANKING); the variants name their ranking.
    const strategy = name === "transfer-unweighted" ? transferSearch(context, set, "selection") : name === "transfer-nearest" ? transferSearch(context, set, "nearest")
      : name === "transfer-model" ? transferSearch(context, set, "model") : name === "transfer" ? transferSearch(context, set) : await strategyNamed(name).prepare(context);
    histories[name] = await simulate(strategy, p, capOf(p));
    save();
  }
  // Best known: the smallest verified value among everything evaluated on this program
  // (each strategy's own verified best first, so none can beat the best known).
  for (const name of strategyNames) await bestVerifiedKey(p, histories[name]!.filter((e) => e.value !== undefined).map((e) => planKey(e.plan)));
  const known = await bestVerifiedKey(p, Object.keys(p.record.values).filter((k) => p.record.values[k] != null));
  const bestKnown = known === undefined ? p.record.baseline : p.record.values[known]!;
  const perEvalMs = median(p.record.verifyMs.slice(1)); // verification of each evaluation, as the market's adapters do
  const firstMs = p.record.verifyMs[0] ?? 0;
  const row: Row = { program: p.record.name, kind: p.program.kind, cap: capOf(p), baseline: p.record.baseline, bestKnown, bestKnownPlan: known ?? "", planSet: set === undefined ? "none" : `${planSetVersion(set).slice(0, 12)} (${set.plans.length} plans)`, planSetSize: set?.plans.length ?? 0, byStrategy: {} };
  for (const name of strategyNames) {
    const h = histories[name]!;
    const target = p.record.baseline - 0.95 * (p.record.baseline - bestKnown);
    let to95: number | undefined;
    if (bestKnown < p.record.baseline) {
      for (let i = 0; i < h.length && to95 === undefined; i++) {
        const v = h[i]!.value;
        if (v !== undefined && v <= target && (await verifyPlan(toolchain, p, h[i]!.plan))) to95 = i + 1;
      }
    }
    // Simulated wall clock: one-time reference builds, then each evaluation's time plus its verification, over `parallelism` adapters.
    let clock = firstMs, n = 0;
    while (n < h.length && clock + (p.record.ms[planKey(h[n]!.plan)] ?? 0) + perEvalMs <= seconds * 1000 * parallelism) clock += (p.record.ms[planKey(h[n++]!.plan)] ?? 0) + perEvalMs;
    const at = async (k: number): Promise<string | undefined> => bestVerifiedKey(p, h.slice(0, Math.max(1, k)).filter((e) => e.value !== undefined).map((e) => planKey(e.plan)));
    const valueOf = (key: string | undefined): number => (key === undefined ? p.record.baseline : p.record.values[key]!);
    const bestAtTime = await at(n);
    row.byStrategy[name] = { to95, at45: p.record.baseline / valueOf(await at(45)), atTime: p.record.baseline / valueOf(bestAtTime), evalsAtTime: n, bestAtTime: bestAtTime ?? "", evaluated: h.length };
  }
  rows.push(row);
  save();
  log(`${p.record.name}: baseline ${p.record.baseline}, best known ${bestKnown}, plan set ${row.planSet}; ${strategyNames.map((s) => `${s} 95% at ${row.byStrategy[s]!.to95 ?? (bestKnown < p.record.baseline ? `>${capOf(p)}` : "n/a")}, 45: ${row.byStrategy[s]!.at45.toFixed(4)}×, ${seconds} s (${row.byStrategy[s]!.evalsAtTime} evals): ${row.byStrategy[s]!.atTime.toFixed(4)}×`).join("; ")}`);
}

rows.sort((a, b) => prepared.findIndex((p) => p.record.name === a.program) - prepared.findIndex((p) => p.record.name === b.program)); // the programs' order

// ── Reproduction: every reported best re-made once more, uncached, and its metric measured here.
const reproductions: { program: string; plan: string; cached: number; measured: number | undefined }[] = [];
for (const [i, row] of rows.entries()) {
  const p = prepared.find((q) => q.record.name === row.program)!;
  const keys = [...new Set([row.bestKnownPlan, ...Object.values(row.byStrategy).map((s) => s.bestAtTime)].filter((k) => k !== ""))];
  const measured = await mapConcurrent(keys, async (key) => { const plan = planOfKey(key); return plan === undefined ? undefined : remeasure(p, plan); }, parallelism);
  keys.forEach((key, j) => reproductions.push({ program: row.program, plan: key, cached: p.record.values[key]!, measured: measured[j] }));
  if (i % 10 === 9) log(`reproduced ${i + 1}/${rows.length} programs' bests`);
}
await toolchain.close();
save();

/** Runs `strategy` on `p` as runSearch does (batches of 2 × parallelism), evaluations from the cache or the compiler. */
async function simulate(strategy: Strategy, p: Prepared, max: number): Promise<Evaluation[]> {
  const history: Evaluation[] = [];
  while (history.length < max) {
    const plans = strategy.next(history, Math.min(2 * parallelism, max - history.length));
    if (plans.length === 0) break;
    for (const plan of plans) knownPlans.set(planKey(plan), plan);
    const results = await mapConcurrent(plans, (plan) => evaluatePlan(toolchain, p, plan), parallelism);
    for (const [i, plan] of plans.entries()) {
      // The market verifies every evaluation; checking those that would become the best so far gives the strategy the same bests.
      let value = results[i];
      const best = bestOf(history)?.value;
      if (value !== undefined && (best === undefined || value < best) && !(await verifyPlan(toolchain, p, plan))) value = undefined;
      history.push({ plan, value });
    }
  }
  return history;
}

/**
 * The key of the smallest value among `keys` whose plan verifies, checked smallest first.
 * Known verdicts cost nothing and are always read; at most MAX_VERIFY_ATTEMPTS new
 * verifications per question (then the answer is the best verified among those read).
 */
async function bestVerifiedKey(p: Prepared, keys: string[]): Promise<string | undefined> {
  const byValue = [...new Set(keys)].sort((a, b) => p.record.values[a]! - p.record.values[b]! || (a < b ? -1 : 1));
  let attempts = 0;
  for (const key of byValue) {
    const known = p.record.verdicts[key];
    if (known === "accepted") return key;
    if (known !== undefined) continue;
    const plan = planOfKey(key);
    if (plan === undefined || attempts++ >= MAX_VERIFY_ATTEMPTS) continue;
    if (await verifyPlan(toolchain, p, plan)) return key;
    verificationFailures++;
  }
  return undefined;
}

async function bestVerified(p: Prepared, keys: string[]): Promise<number | undefined> {
  const key = await bestVerifiedKey(p, keys);
  return key === undefined ? undefined : p.record.values[key]!;
}

/**
 * The plan behind a plan key: a plan this run proposed, else `parsePlanKey` (exact for every
 * move of today's search spaces, GCC's params and valued options included); a GCC key of
 * the old valued-option spelling (`-fvect-cost-model==unlimited`) is read as today's
 * (`-fvect-cost-model` + `unlimited`), which gcc gets as the same option.
 */
function planOfKey(key: string): Plan | undefined {
  const known = knownPlans.get(key);
  if (known !== undefined) return known;
  try {
    // An old GCC key (`-fX=` + v spelled `-fX==v`) names the options of today's `-fX` + v.
    return parsePlanKey(compiler === "gcc" ? key.replaceAll("==", "=") : key);
  } catch {
    return undefined;
  }
}

/** The plan's metric measured afresh: LLVM, plain `opt -passes=…` and the instructions counted here; others, a new evaluation. */
async function remeasure(p: Prepared, plan: Plan): Promise<number | undefined> {
  if (compiler === "llvm") {
    const r = await runTool(findLlvmTools().opt, [`-passes=${toolchain.renderPlan(plan)}`, "-S", "-", "-o", "-"], { stdin: p.prepared.input.bytes, timeoutMs: 600_000, deterministic: true, maxOutputBytes: 256 * 1024 * 1024 });
    return r.exitCode === 0 ? countInstructions(readLlvmIr(r.stdout.toString())) : undefined;
  }
  try {
    return (await toolchain.evaluate(p.prepared.input, plan, objective, { timeoutMs: 600_000 })).value;
  } catch {
    return undefined;
  }
}

// ── Report.
const geomean = (xs: number[]): number => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
const base = compiler === "llvm" ? "-Oz" : compiler === "gcc" ? "-Os" : "default";
const improvable = rows.filter((r) => r.bestKnown < r.baseline);
const summary = strategyNames.map((s) => {
  const to = improvable.map((r) => r.byStrategy[s]!.to95 ?? r.cap + 1);
  return { strategy: s, reached: improvable.filter((r) => r.byStrategy[s]!.to95 !== undefined).length, of: improvable.length, meanTo95: to.reduce((a, b) => a + b, 0) / Math.max(1, to.length), medianTo95: median(to), at45: geomean(rows.map((r) => r.byStrategy[s]!.at45)), atTime: geomean(rows.map((r) => r.byStrategy[s]!.atTime)), meanEvalsAtTime: rows.reduce((a, r) => a + r.byStrategy[s]!.evalsAtTime, 0) / rows.length };
});
const reproduced = reproductions.filter((r) => r.measured === r.cached).length;
const sizes = rows.map((r) => r.planSetSize);
const taughtSignals = [...teaching.values()].flat().length;
const teachingLine = `teaching (--teach ${values.teach}): ${taughtSignals} verified results of ${[...teaching.values()].filter((t) => t.length > 0).length} programs${values.teach === "all" ? ` (snapshot taken ${cache.teachingSnapshot?.takenAt ?? "never"})` : ""}; leave-one-out plan sets ${Math.min(...sizes)}–${Math.max(...sizes)} plans (mean ${(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length)).toFixed(1)})`;
const lines = [
  `| program | kind | ${base} | best known | ${strategyNames.map((s) => `${s}: evals to 95 %`).join(" | ")} | ${strategyNames.map((s) => `${s}: × at 45`).join(" | ")} | ${strategyNames.map((s) => `${s}: × at ${seconds} s (evals)`).join(" | ")} |`,
  `|---|---|---:|---:|${strategyNames.map(() => "---:").join("|")}|${strategyNames.map(() => "---:").join("|")}|${strategyNames.map(() => "---:").join("|")}|`,
  ...rows.map((r) => `| ${r.program} | ${r.kind} | ${r.baseline} | ${r.bestKnown} | ${strategyNames.map((s) => r.byStrategy[s]!.to95 ?? (r.bestKnown < r.baseline ? `>${r.cap}` : "n/a")).join(" | ")} | ${strategyNames.map((s) => r.byStrategy[s]!.at45.toFixed(4)).join(" | ")} | ${strategyNames.map((s) => `${r.byStrategy[s]!.atTime.toFixed(4)} (${r.byStrategy[s]!.evalsAtTime})`).join(" | ")} |`),
  "",
  `| strategy | reached 95 % | mean evals to 95 % (not reached = cap + 1) | median | geomean × at 45 | geomean × at ${seconds} s | mean evals in ${seconds} s |`,
  "|---|---:|---:|---:|---:|---:|---:|",
  ...summary.map((s) => `| ${s.strategy} | ${s.reached}/${s.of} | ${s.meanTo95.toFixed(1)} | ${s.medianTo95} | ${s.at45.toFixed(4)} | ${s.atTime.toFixed(4)} | ${s.meanEvalsAtTime.toFixed(0)} |`),
  "",
  `${rows.length} programs searched (${["corpus", "real", "csmith"].map((k) => `${rows.filter((r) => r.kind === k).length} ${k}`).join(", ")}${rows.length === prepared.length ? "" : `; ${prepared.length} teach`}; ${improvable.length} with a verified improvement over ${base}, the others n/a for "evals to 95 %"), ${compiler} ${version} ${objective}, pool ${pool.length} plans, cap ${cap} evaluations (real programs ${values["real-cap"]}), ${((performance.now() - started) / 1000).toFixed(0)} s; best results that failed verification and were passed over: ${verificationFailures}; reported bests re-made uncached and measured here: ${reproduced}/${reproductions.length} equal`,
  teachingLine,
  ...reproductions.filter((r) => r.measured !== r.cached).map((r) => `NOT REPRODUCED: ${r.program}: cached ${r.cached}, measured ${r.measured ?? (planOfKey(r.plan) === undefined ? "nothing (plan of an earlier run, its key does not parse back)" : "failed")}: ${r.plan}`),
];
process.stdout.write(`${lines.join("\n")}\n`);
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ compiler, version, objective, cap, seconds, pool: pool.length, strategies: strategyNames, rows, summary, reproductions, verificationFailures, teaching: teachingLine, date: new Date().toISOString() }, null, 1)}\n`);

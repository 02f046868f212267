/**
 * Mutation test and false-alarm check of the LLVM verifier on the real, multi-file
 * programs of `bench/corpus/real/` (zlib, bzip2, xz, Lua), each verified with its run
 * specification (`realProgramRun`: the input file, stdout, exit status and files compared).
 *
 * Command (from the repository root; no tsx is installed, so compile first):
 *
 *   npx tsc --outDir .tmp/mutation --rootDir . --module nodenext --moduleResolution nodenext \
 *     --target es2022 --lib es2023 --types node --skipLibCheck --sourceMap false \
 *     bench/mutation/real-mutation-bench.ts \
 *     && node .tmp/mutation/bench/mutation/real-mutation-bench.js [--programs bzip2,…] \
 *          [--mutants 48] [--not-entered 16] [--seed opm-real-mutation-1] [--jobs 2] \
 *          [--skip-levels] [--skip-mutants] [--json results.json] [--markdown results.md]
 *
 * BEFORE is each program's linked IR as the LLVM toolchain prepares it. Once per program,
 * independently of the verifier (`real-program-facts.ts`): the run's expected output is
 * checked, a profile build tells which functions the run enters, a `--gc-sections` build
 * which functions can run at all, and a probe build which mutated lines the run executes.
 * Part 1 (false alarms): `opt -passes='default<O1|O2|O3|Os|Oz>'` of BEFORE, verified with
 * the run on a fresh cache, and again after part 2 on the cache the mutants filled (an
 * adapter's later evaluations); none may be rejected, and both passes must agree;
 * undecided ones are reported with the functions named.
 * Part 2 (mutants): `--mutants` mutants of BEFORE (`generateSpreadMutants`: one site per
 * function per round), `--not-entered` of them in functions the run does not enter (three
 * quarters in functions the linker keeps, the rest in functions it drops), the rest in
 * functions it enters. Each is verified (BEFORE → mutant) and, apart, built with
 * `clang -O0` and run on the run: the oracle says whether its output changes. An
 * output-changing mutant accepted, or a mutant in a function the run does not enter but
 * the linker keeps accepted, is a verifier bug.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { mapConcurrent } from "../../src/adapters/framework/map-concurrent.js";
import { runTool } from "../../src/adapters/framework/run-tool.js";
import { verifyTransform } from "../../src/adapters/framework/toolchains.js";
import { changedFunctions } from "../../src/adapters/llvm/changed-functions.js";
import { findLlvmTools } from "../../src/adapters/llvm/find-llvm-tools.js";
import { readLlvmIr } from "../../src/adapters/llvm/read-llvm-ir.js";
import { runProgram } from "../../src/adapters/verifier/run-program.js";
import type { RunLimits, Verdict } from "../../src/adapters/verifier/index.js";
import { realPrograms } from "../corpus/index.js";
import { generateSpreadMutants, type Mutant } from "./mutate-ir.js";
import { readCoverageEvidence } from "./read-coverage-evidence.js";
import { executedLines, outputChanged, readRealProgramFacts, tryBuild, type RealProgramFacts } from "./real-program-facts.js";
import { reportRealMutation, type LevelRow, type MutantRow, type Outcome, type ProgramCost, type Region } from "./real-mutation-report.js";

const LEVELS = ["O1", "O2", "O3", "Os", "Oz"];
/** Mutants may loop forever; the reference runs take under a second. */
const LIMITS: RunLimits = { cpuSeconds: 5, wallMs: 20_000 };

const { values } = parseArgs({
  options: {
    programs: { type: "string" }, mutants: { type: "string" }, "not-entered": { type: "string" }, seed: { type: "string" },
    jobs: { type: "string" }, json: { type: "string" }, markdown: { type: "string" }, "skip-levels": { type: "boolean" }, "skip-mutants": { type: "boolean" },
  },
});
const perProgram = Number(values.mutants ?? 48);
const notEnteredCount = Math.min(perProgram, Number(values["not-entered"] ?? 16));
const seed = values.seed ?? "opm-real-mutation-1";
const jobs = Number(values.jobs ?? 2);
const tools = findLlvmTools();
const log = (s: string): void => void process.stderr.write(`${s}\n`);

async function opt(ir: string, passes: string): Promise<string> {
  const r = await runTool(tools.opt, [`-passes=${passes}`, "-S", "-", "-o", "-"], { stdin: ir, timeoutMs: 600_000, deterministic: true, maxOutputBytes: 256 * 1024 * 1024 });
  if (r.exitCode !== 0) throw new Error(`opt ${passes} failed: ${r.stderr}`);
  return r.stdout.toString();
}

function outcomeOf(v: Verdict): Outcome {
  return v.ok ? "accepted" : v.decided ? "rejected" : "undecided";
}

/** The semantics layer's evidence, else the first failing layer's, else the reason. */
function evidenceOf(v: Verdict): string {
  const layer = v.layers.find((l) => l.name === "semantics") ?? v.layers.find((l) => !l.ok);
  return layer ? `${layer.name}: ${layer.evidence}` : v.reason ?? "";
}

/** Milliseconds of what coverage adds to one evaluation: reading AFTER and diffing its functions with BEFORE's. */
function judgeMs(before: ReturnType<typeof readLlvmIr>, after: string): number {
  const t = performance.now();
  changedFunctions(before, readLlvmIr(after));
  return performance.now() - t;
}

async function verify(f: RealProgramFacts, after: string, cache: Map<string, unknown>): Promise<{ verdict: Verdict; ms: number }> {
  const t = performance.now();
  const verdict = await verifyTransform({ compiler: "llvm", before: { text: f.ir }, after: { text: after }, runs: [f.run], libraries: f.libraries, cache, limits: LIMITS });
  return { verdict, ms: performance.now() - t };
}

/**
 * `default<level>` of BEFORE for each level, verified on `cache`. `afters` keeps opt's
 * outputs: the second pass (`warm`, on the cache the mutants filled) verifies the same bytes.
 */
async function levelsOf(f: RealProgramFacts, cache: Map<string, unknown>, cost: ProgramCost, afters: Map<string, string>, warm: boolean): Promise<LevelRow[]> {
  const beforeModule = readLlvmIr(f.ir);
  return mapConcurrent(LEVELS, async (level) => {
    const t = performance.now();
    const after = afters.get(level) ?? await opt(f.ir, `default<${level}>`);
    afters.set(level, after);
    const optMs = performance.now() - t;
    if (!warm) cost.judgeMs.push(judgeMs(beforeModule, after));
    const { verdict, ms } = await verify(f, after, cache);
    const evidence = evidenceOf(verdict);
    const coverage = readCoverageEvidence(evidence);
    log(`  ${f.program.name} ${level}${warm ? " (warm cache)" : ""}: ${outcomeOf(verdict)} (${(ms / 1000).toFixed(1)} s)${verdict.ok ? "" : ` ${evidence.slice(0, 200)}`}`);
    return {
      program: f.program.name, level, warm, optMs, verifyMs: ms, outcome: outcomeOf(verdict), evidence,
      ...(verdict.rejectedBy ? { rejectedBy: verdict.rejectedBy } : {}), ...(coverage ? { coverage } : {}),
    };
  }, jobs);
}

function regionOf(f: RealProgramFacts, m: Mutant, executed: ReadonlySet<number>): Region {
  if (executed.has(m.line - 1)) return "executed";
  if (f.entered.has(m.fn)) return "entered";
  return f.linked.has(m.fn) ? "not-entered" : "dead";
}

async function mutantsOf(f: RealProgramFacts, cache: Map<string, unknown>, dir: string, cost: ProgramCost): Promise<MutantRow[]> {
  const name = f.program.name;
  const entered = new Set(f.functions.filter((fn) => f.entered.has(fn)));
  const live = new Set(f.functions.filter((fn) => !f.entered.has(fn) && f.linked.has(fn)));
  const dead = new Set(f.functions.filter((fn) => !f.entered.has(fn) && !f.linked.has(fn)));
  // Most of the not-entered share goes where it matters (code that could run); a quarter to dead code.
  const inLive = generateSpreadMutants(f.ir, live, notEnteredCount - Math.floor(notEnteredCount / 4), `${seed}:${name}:not-entered`);
  const mutants: Array<Mutant | undefined> = [
    ...generateSpreadMutants(f.ir, entered, perProgram - notEnteredCount, `${seed}:${name}:entered`),
    ...inLive,
    ...generateSpreadMutants(f.ir, dead, notEnteredCount - inLive.length, `${seed}:${name}:dead`),
  ];
  const executed = await executedLines(f, new Set(mutants.map((m) => m!.line - 1)), dir, LIMITS);
  const beforeModule = readLlvmIr(f.ir);
  const irLines = f.ir.split("\n");
  log(`  ${name}: ${mutants.length} mutants (functions: ${entered.size} entered, ${live.size} not entered but linked, ${dead.size} dropped by the linker), ${executed.size} mutated lines executed by the run`);
  let done = 0;
  return mapConcurrent(mutants, async (slot, index) => {
    const m = slot!;
    mutants[index] = undefined; // a mutant of Lua is 5 MB of text
    if (index < 4) cost.judgeMs.push(judgeMs(beforeModule, m.text));
    const { verdict, ms } = await verify(f, m.text, cache);
    const invalid = verdict.layers[0]?.name === "well-formed" && !verdict.layers[0].ok;
    const id = `${name}-mutant-${index}`;
    await writeFile(join(dir, `${id}.ll`), m.text);
    const unbuilt = await tryBuild(tools.clang, [join(dir, `${id}.ll`)], f.libraries, join(dir, id));
    const changed = unbuilt !== undefined || outputChanged(f, await runProgram(join(dir, id), f.run, LIMITS));
    await rm(join(dir, id), { force: true });
    await rm(join(dir, `${id}.ll`), { force: true });
    const evidence = evidenceOf(verdict);
    const coverage = readCoverageEvidence(evidence);
    if (++done % 12 === 0) log(`  ${name}: ${done}/${mutants.length} mutants`);
    const original = irLines[m.line - 1]!.trim();
    const mutated = m.kind === "drop-store" ? null : m.text.split("\n", m.line)[m.line - 1]!.trim();
    return {
      program: name, kind: m.kind, fn: m.fn, line: m.line, description: m.description, original, mutated, region: regionOf(f, m, executed),
      invalid, changed, outcome: outcomeOf(verdict), verifyMs: ms, evidence: evidence.slice(0, 600),
      ...(verdict.rejectedBy ? { rejectedBy: verdict.rejectedBy } : {}), ...(coverage ? { coverage } : {}),
    };
  }, jobs);
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), "opm-real-mutation-"));
  const selected = realPrograms().filter((p) => values.programs === undefined || values.programs.split(",").includes(p.name));
  const levels: LevelRow[] = [];
  const mutants: MutantRow[] = [];
  const costs: ProgramCost[] = [];
  try {
    const facts = await mapConcurrent(selected, async (p) => {
      await mkdir(join(dir, p.name));
      return readRealProgramFacts(p, join(dir, p.name), LIMITS);
    }, jobs);
    log(`prepared ${facts.map((f) => f.program.name).join(", ")} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    for (const f of facts) {
      // Two caches, as two adapters would hold: the levels first on a fresh one; the
      // mutants on another, then the levels again on it (what a verdict depends on must
      // not include which evaluations the cache saw before).
      const cache = new Map<string, unknown>();
      const mutantCache = new Map<string, unknown>();
      const afters = new Map<string, string>();
      const cold = await verify(f, f.ir, cache);
      const cost: ProgramCost = {
        program: f.program.name, instructions: f.instructions, functions: f.functions.length, entered: f.entered.size,
        linked: f.linked.size, ...f.timings, coldVerifyMs: cold.ms, identity: outcomeOf(cold.verdict), judgeMs: [],
      };
      costs.push(cost);
      log(`${f.program.name}: first verification (BEFORE against itself, builds the reference and coverage) ${outcomeOf(cold.verdict)} in ${(cold.ms / 1000).toFixed(1)} s`);
      if (!values["skip-levels"]) levels.push(...await levelsOf(f, cache, cost, afters, false));
      if (!values["skip-mutants"]) {
        mutants.push(...await mutantsOf(f, mutantCache, join(dir, f.program.name), cost));
        if (!values["skip-levels"]) levels.push(...await levelsOf(f, mutantCache, cost, afters, true));
      }
      log(`${f.program.name} done (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    const seconds = (performance.now() - started) / 1000;
    const text = reportRealMutation({ levels, mutants, costs, seed, perProgram, notEntered: notEnteredCount, seconds });
    process.stdout.write(text);
    if (values.markdown) await writeFile(values.markdown, text);
    if (values.json) await writeFile(values.json, JSON.stringify({ seed, perProgram, notEntered: notEnteredCount, seconds, costs, levels, mutants }, null, 1));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});

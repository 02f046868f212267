/**
 * Mutation test and false-alarm check of the IR-invariant verifier (`src/adapters/verifier`).
 *
 * Command (from the repository root; no tsx is installed, so compile first):
 *
 *   npx tsc --outDir .tmp/mutation --rootDir . --module nodenext --moduleResolution nodenext \
 *     --target es2022 --lib es2023 --types node --skipLibCheck --sourceMap false \
 *     bench/mutation/mutation-bench.ts \
 *     && node .tmp/mutation/bench/mutation/mutation-bench.js [--programs a,b,…] [--per-kind 10] \
 *          [--seed opm-mutation-1] [--jobs 2] [--skip-levels] [--skip-mutants] [--json results.json]
 *
 * Part 1 (false alarms): every corpus program's IR (`compileCToIr`) under opt
 * `default<O1|O2|O3|Os|Oz>` is verified with its C source (UBSan reference); none may
 * be rejected (a false alarm), and each one undecided is listed with its evidence (the
 * semantics layer passes only when the run entered every changed function it can run).
 * Part 2 (mutants): for each program of `--programs` (default: all 24),
 * `--per-kind` mutants of each kind (`bench/mutation/mutate-ir.ts`) of its
 * `default<O2>` output are verified against the unoptimised IR with all layers run.
 * Independently of the verifier, each mutant is built (`clang -O0`) and run, and its
 * stdout and exit status are compared with `bench/corpus/expected/<name>.out`: that
 * oracle decides which mutants change observable output. Mutants opt's verifier
 * refuses are "invalid" (killed by layer 1, reported apart, not in the score);
 * mutants whose output is unchanged are "equivalent" (excluded from the score).
 * Score = rejected / changed-output.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { runTool } from "../../src/adapters/framework/run-tool.js";
import { compileCToIr } from "../../src/adapters/llvm/compile-c-to-ir.js";
import { findLlvmTools } from "../../src/adapters/llvm/find-llvm-tools.js";
import { corpusPrograms, type CorpusProgram } from "../corpus/index.js";
import { runProgram } from "../../src/adapters/verifier/run-program.js";
import { verifyTransform } from "../../src/adapters/framework/toolchains.js";
import type { RunLimits, Verdict } from "../../src/adapters/verifier/index.js";
import { generateMutants, MUTATION_KINDS, type MutationKind } from "./mutate-ir.js";
import { readCoverageEvidence } from "./read-coverage-evidence.js";

const LEVELS = ["O1", "O2", "O3", "Os", "Oz"];
/** Mutants may loop forever; the corpus programs run in well under 0.1 s. */
const LIMITS: RunLimits = { cpuSeconds: 2, wallMs: 8_000 };

const { values } = parseArgs({
  options: {
    programs: { type: "string" }, "per-kind": { type: "string" }, seed: { type: "string" }, jobs: { type: "string" },
    json: { type: "string" }, "skip-levels": { type: "boolean" }, "skip-mutants": { type: "boolean" },
  },
});
const programNames = values.programs?.split(",");
const perKind = Number(values["per-kind"] ?? 10);
const seed = values.seed ?? "opm-mutation-1";
const jobs = Number(values.jobs ?? 2);
const tools = findLlvmTools();
const log = (s: string): void => void process.stderr.write(`${s}\n`);

interface MutantResult {
  program: string;
  kind: MutationKind;
  line: number;
  description: string;
  invalid: boolean;
  changed: boolean;
  rejected: boolean;
  rejectedBy?: string;
  rejectingLayers: string[];
  decided: boolean;
  evidence: string;
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

async function irOf(program: CorpusProgram, dir: string): Promise<string> {
  return compileCToIr([program.path], { clang: tools.clang, llvmLink: tools["llvm-link"], workDir: dir, timeoutMs: 120_000 });
}

async function opt(ir: string, passes: string): Promise<string> {
  const r = await runTool(tools.opt, [`-passes=${passes}`, "-S", "-", "-o", "-"], { stdin: ir, timeoutMs: 120_000, deterministic: true });
  if (r.exitCode !== 0) throw new Error(`opt ${passes} failed: ${r.stderr}`);
  return r.stdout.toString();
}

/** The oracle: does the mutant, built and run, print something other than the expected output? */
async function outputChanges(mutant: string, expected: Buffer, dir: string, id: string): Promise<boolean> {
  const ll = join(dir, `${id}.ll`);
  await writeFile(ll, mutant);
  const r = await runTool(tools.clang, ["-O0", "-w", ll, "-o", join(dir, id)], { timeoutMs: 120_000 });
  if (r.exitCode !== 0) return true;
  const run = await runProgram(join(dir, id), undefined, LIMITS);
  return run.exitCode !== 0 || !run.stdout.equals(expected);
}

function firstFailing(v: Verdict): string {
  const l = v.layers.find((x) => !x.ok);
  return l ? `${l.name}: ${l.evidence.slice(0, 160)}` : "";
}

async function main(): Promise<void> {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), "opm-mutation-"));
  const programs = corpusPrograms();
  const falseAlarms: Array<{ program: string; level: string; verdict: Verdict }> = [];
  const undecided: Array<{ program: string; level: string; verdict: Verdict }> = [];
  let levelRuns = 0;
  const caches = new Map<string, Map<string, unknown>>();
  const irs = new Map<string, string>();
  try {
    for (const p of programs) irs.set(p.name, await irOf(p, dir));
    if (!values["skip-levels"]) {
      const tasks = programs.flatMap((p) => LEVELS.map((level) => ({ p, level })));
      await pool(tasks, jobs, async ({ p, level }) => {
        const before = irs.get(p.name)!;
        const cache = caches.get(p.name) ?? new Map<string, unknown>();
        caches.set(p.name, cache);
        const verdict = await verifyTransform({ compiler: "llvm", before: { text: before }, after: { text: await opt(before, `default<${level}>`) }, source: p.path, cache });
        levelRuns++;
        if (!verdict.ok && verdict.decided) {
          falseAlarms.push({ program: p.name, level, verdict });
          log(`FALSE ALARM ${p.name} ${level}: ${firstFailing(verdict)}`);
        } else if (!verdict.ok) {
          undecided.push({ program: p.name, level, verdict });
          log(`undecided ${p.name} ${level}: ${firstFailing(verdict)}`);
        }
      });
      log(`part 1: ${levelRuns} legitimate transforms, ${falseAlarms.length} false alarms, ${undecided.length} undecided (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }

    const results: MutantResult[] = [];
    const selected = values["skip-mutants"] ? [] : programs.filter((p) => programNames === undefined || programNames.includes(p.name));
    const tasks: Array<{ p: CorpusProgram; kind: MutationKind; index: number; text: string; line: number; description: string }> = [];
    for (const p of selected) {
      const o2 = await opt(irs.get(p.name)!, "default<O2>");
      for (const kind of MUTATION_KINDS) {
        for (const [index, m] of generateMutants(o2, kind, perKind, `${seed}:${p.name}`).entries()) tasks.push({ p, index, ...m });
      }
    }
    log(`part 2: ${tasks.length} mutants of ${selected.length} programs`);
    let done = 0;
    await pool(tasks, jobs, async (t) => {
      const expected = await readFile(t.p.expectedOutputPath);
      const cache = caches.get(t.p.name) ?? new Map<string, unknown>();
      caches.set(t.p.name, cache);
      const verdict = await verifyTransform({
        compiler: "llvm", before: { text: irs.get(t.p.name)! }, after: { text: t.text }, source: t.p.path, cache, runAllLayers: true, limits: LIMITS,
      });
      const invalid = verdict.layers[0]?.name === "well-formed" && !verdict.layers[0].ok;
      const changed = invalid ? true : await outputChanges(t.text, expected, dir, `${t.p.name}-${t.kind}-${t.index}`);
      results.push({
        program: t.p.name, kind: t.kind, line: t.line, description: t.description, invalid, changed,
        rejected: !verdict.ok && verdict.decided, decided: verdict.decided,
        ...(verdict.rejectedBy ? { rejectedBy: verdict.rejectedBy } : {}),
        rejectingLayers: verdict.layers.filter((l) => !l.ok && l.decided !== false).map((l) => l.name),
        evidence: firstFailing(verdict),
      });
      if (++done % 25 === 0) log(`  ${done}/${tasks.length} mutants (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    });
    const seconds = (performance.now() - started) / 1000;
    report(results, falseAlarms, undecided, levelRuns, selected.map((p) => p.name), seconds);
    if (values.json) await writeFile(values.json, JSON.stringify({ seed, perKind, programs: selected.map((p) => p.name), levelRuns, falseAlarms, undecided, results }, null, 1));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function report(
  results: MutantResult[], falseAlarms: Array<{ program: string; level: string; verdict: Verdict }>, undecided: Array<{ program: string; level: string; verdict: Verdict }>,
  levelRuns: number, programs: string[], seconds: number,
): void {
  const lines: string[] = [];
  lines.push(`Legitimate transforms: ${levelRuns} (24 programs × ${LEVELS.join("/")}), false alarms (rejected): ${falseAlarms.length}, undecided: ${undecided.length}`);
  for (const f of falseAlarms) lines.push(`  - FALSE ALARM ${f.program} ${f.level}: ${firstFailing(f.verdict)}`);
  for (const f of undecided) {
    const semantics = f.verdict.layers.find((l) => l.name === "semantics" && l.decided === false);
    const c = semantics ? readCoverageEvidence(semantics.evidence) : undefined;
    lines.push(`  - undecided ${f.program} ${f.level}: ${c ? `${c.notExercised} of ${c.canRun} changed function(s) not exercised: ${c.notExercisedNames.join(", ")}` : firstFailing(f.verdict)}`);
  }
  lines.push("", `Mutants of default<O2> output: programs ${programs.join(", ")}; up to ${perKind} per kind per program; seed ${seed}; ${seconds.toFixed(0)} s`, "");
  lines.push("| kind | generated | invalid (layer 1) | equivalent | changed output | rejected | score | rejected by (first layer) | equivalent but rejected |");
  lines.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
  const row = (name: string, rs: MutantResult[]): void => {
    const valid = rs.filter((r) => !r.invalid);
    const changed = valid.filter((r) => r.changed);
    const rejected = changed.filter((r) => r.rejected);
    const by = new Map<string, number>();
    for (const r of rejected) by.set(r.rejectedBy ?? "?", (by.get(r.rejectedBy ?? "?") ?? 0) + 1);
    const equivalent = valid.filter((r) => !r.changed);
    const score = changed.length === 0 ? "—" : `${((100 * rejected.length) / changed.length).toFixed(1)}%`;
    lines.push(`| ${name} | ${rs.length} | ${rs.length - valid.length} | ${equivalent.length} | ${changed.length} | ${rejected.length} | ${score} | ${[...by].map(([k, v]) => `${k} ${v}`).join(", ")} | ${equivalent.filter((r) => r.rejected).length} |`);
  };
  for (const kind of MUTATION_KINDS) row(kind, results.filter((r) => r.kind === kind));
  row("**all**", results);
  const missed = results.filter((r) => !r.invalid && r.changed && !r.rejected);
  if (missed.length > 0) {
    lines.push("", "Changed-output mutants NOT rejected:");
    for (const m of missed) lines.push(`  - ${m.program} ${m.kind} line ${m.line} (${m.description}): decided ${m.decided} ${m.evidence}`);
  }
  const eqRejected = results.filter((r) => !r.invalid && !r.changed && r.rejected);
  if (eqRejected.length > 0) {
    lines.push("", "Equivalent mutants rejected (by a layer other than semantics, or output the oracle did not see):");
    for (const m of eqRejected.slice(0, 15)) lines.push(`  - ${m.program} ${m.kind} line ${m.line} (${m.description}): ${m.evidence}`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});

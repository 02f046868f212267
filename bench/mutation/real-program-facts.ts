/**
 * What the real-program mutation benchmark knows about one real program before it
 * mutates it, found independently of the verifier under test: its linked IR (the LLVM
 * toolchain's `prepare`), its run and expected output, which functions the run enters
 * (a profile-instrumented build), which functions the linker keeps (`--gc-sections`:
 * the others can never run), and which instruction lines the run executes (a probe
 * build). Also what each of those builds costs, for the cost figures.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { toolchainFor } from "../../src/adapters/framework/toolchains.js";
import { readProgramSource } from "../../src/adapters/framework/program-source.js";
import { clipLog, runTool } from "../../src/adapters/framework/run-tool.js";
import { findLlvmTools } from "../../src/adapters/llvm/find-llvm-tools.js";
import { countInstructions } from "../../src/adapters/llvm/inst-count-features.js";
import { readLlvmIr } from "../../src/adapters/llvm/read-llvm-ir.js";
import { COVERAGE_FLAGS, executedFunctions } from "../../src/adapters/verifier/coverage.js";
import { describeStatus, runProgram, type ProgramRun } from "../../src/adapters/verifier/run-program.js";
import type { RunLimits } from "../../src/adapters/verifier/index.js";
import type { RunSpec } from "../../src/kernel/plan/index.js";
import { realProgramRun, type RealProgram } from "../corpus/index.js";
import { functionName } from "./mutate-ir.js";

const BUILD_MS = 300_000;

/** One real program, ready to be mutated. */
export interface RealProgramFacts {
  program: RealProgram;
  /** The linked, unoptimised IR (BEFORE of every verification). */
  ir: string;
  instructions: number;
  run: RunSpec;
  libraries: string[];
  expected: Buffer;
  /** Files in the run's working directory after the reference run: name → SHA-256. */
  referenceFiles: Map<string, string>;
  /** Defined functions, in module order. */
  functions: string[];
  /** Functions the run enters (a non-zero entry count in the reference's profile). */
  entered: Set<string>;
  /** Functions the linker keeps with `-ffunction-sections -Wl,--gc-sections`. */
  linked: Set<string>;
  /** Milliseconds: `prepare`, plain `clang -O0` build and run, coverage build and run + `llvm-profdata`. */
  timings: { prepareMs: number; buildMs: number; runMs: number; coverageBuildMs: number; coverageRunMs: number };
}

/** Builds and runs `program` the ways `RealProgramFacts` describes; throws when the reference run does not print the expected output. */
export async function readRealProgramFacts(program: RealProgram, dir: string, limits: RunLimits): Promise<RealProgramFacts> {
  const tools = findLlvmTools();
  let t = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const ms = now - t;
    t = now;
    return ms;
  };
  const prepared = await (await toolchainFor("llvm")).prepare(readProgramSource([program.compileCommandsPath], { libraries: [...program.libs] }), "ir-instcount");
  const ir = Buffer.from(prepared.input.bytes).toString("utf8");
  const prepareMs = lap();
  const libraries = [...program.libs];
  const ll = join(dir, `${program.name}.ll`);
  await writeFile(ll, ir);

  await build(tools.clang, [ll], libraries, join(dir, program.name));
  const buildMs = lap();
  const run = realProgramRun(program);
  const reference = await runProgram(join(dir, program.name), run, limits);
  const runMs = lap();
  const expected = await readFile(program.expectedOutputPath);
  if (reference.exitCode !== 0 || !reference.stdout.equals(expected)) {
    throw new Error(`${program.name}: the unoptimised build does not print ${program.expectedOutputPath} (${describeStatus(reference)})`);
  }

  await build(tools.clang, [...COVERAGE_FLAGS, ll], libraries, join(dir, `${program.name}-coverage`));
  const coverageBuildMs = lap();
  const coverage = await executedFunctions(join(dir, `${program.name}-coverage`), [run], limits, tools["llvm-profdata"], dir);
  const coverageRunMs = lap();
  if ("unknown" in coverage) throw new Error(`${program.name}: coverage unknown: ${coverage.unknown}`);

  const functions = ir.split("\n").filter((l) => l.startsWith("define ")).map(functionName);
  const removed = await removedByLinker(tools.clang, ll, libraries, join(dir, `${program.name}-gc`));
  return {
    program, ir, instructions: countInstructions(readLlvmIr(ir)), run, libraries, expected, referenceFiles: reference.files,
    functions, entered: coverage.executed, linked: new Set(functions.filter((f) => !removed.has(f))),
    timings: { prepareMs, buildMs, runMs, coverageBuildMs, coverageRunMs },
  };
}

/**
 * The output oracle: does `exe` on the program's run print something other than the
 * expected output, exit other than 0, hit a limit or leave other files than the reference?
 */
export function outputChanged(facts: RealProgramFacts, run: ProgramRun): boolean {
  if (run.limit !== undefined || run.exitCode !== 0 || !run.stdout.equals(facts.expected)) return true;
  if (run.files.size !== facts.referenceFiles.size) return true;
  return [...run.files].some(([name, digest]) => facts.referenceFiles.get(name) !== digest);
}

/** Builds `inputs` with `clang -O0` and the libraries; throws with clang's message when it fails. */
export async function build(clang: string, inputs: readonly string[], libraries: readonly string[], out: string): Promise<void> {
  const r = await tryBuild(clang, inputs, libraries, out);
  if (r !== undefined) throw new Error(`clang -O0 ${inputs.join(" ")} failed: ${r}`);
}

/** Like `build`, but returns clang's message instead of throwing (a mutant may not build). */
export async function tryBuild(clang: string, inputs: readonly string[], libraries: readonly string[], out: string, extra: readonly string[] = []): Promise<string | undefined> {
  const r = await runTool(clang, ["-O0", "-w", ...extra, ...inputs, ...libraries.map((l) => `-l${l}`), "-o", out], { timeoutMs: BUILD_MS });
  return r.exitCode === 0 ? undefined : clipLog(r.stderr, 600).trim();
}

/** Functions of `ll` whose sections `ld --gc-sections` removes: no path from the entry point or kept data reaches them. */
async function removedByLinker(clang: string, ll: string, libraries: readonly string[], out: string): Promise<Set<string>> {
  const r = await runTool(clang, ["-O0", "-w", "-ffunction-sections", "-Wl,--gc-sections", "-Wl,--print-gc-sections", ll, ...libraries.map((l) => `-l${l}`), "-o", out], { timeoutMs: BUILD_MS });
  if (r.exitCode !== 0) throw new Error(`the --gc-sections build failed: ${clipLog(r.stderr, 600)}`);
  const removed = new Set<string>();
  for (const m of r.stderr.toString("utf8").matchAll(/removing unused section '\.text\.([^']+)' in file '([^']+)'/g)) {
    if (!m[2]!.includes("/lib/")) removed.add(m[1]!);
  }
  return removed;
}

const PROBE_C = `#include <stdio.h>
#include <unistd.h>
static unsigned char opm_probe_seen[1 << 20];
void opm_probe_hit(int line) {
  if (line < 0 || line >= (1 << 20) || opm_probe_seen[line]) return;
  opm_probe_seen[line] = 1;
  char text[40];
  int n = snprintf(text, sizeof text, "\\nopm-probe-hit %d\\n", line);
  if (write(2, text, (size_t)n) < 0) return;
}
`;

/**
 * Which of `lines` (0-based instruction lines of the IR) the program's run executes: a
 * build of the IR with a call to a recording function inserted before each of them
 * (written to stderr at once, so a crash loses nothing), run once.
 */
export async function executedLines(facts: RealProgramFacts, lines: ReadonlySet<number>, dir: string, limits: RunLimits): Promise<Set<number>> {
  const tools = findLlvmTools();
  const text = facts.ir.split("\n");
  const probed: string[] = [];
  for (const [i, line] of text.entries()) {
    if (lines.has(i)) probed.push(`  call void @opm_probe_hit(i32 ${i})`);
    probed.push(line);
  }
  probed.push("declare void @opm_probe_hit(i32)");
  const name = `${facts.program.name}-probe`;
  await writeFile(join(dir, `${name}.ll`), probed.join("\n"));
  await writeFile(join(dir, "opm-probe.c"), PROBE_C);
  await build(tools.clang, [join(dir, `${name}.ll`), join(dir, "opm-probe.c")], facts.libraries, join(dir, name));
  const run = await runProgram(join(dir, name), facts.run, limits);
  if (!run.stdout.equals(facts.expected)) throw new Error(`${facts.program.name}: the probe build changed the output (${describeStatus(run)})`);
  return new Set([...run.stderr.toString("utf8").matchAll(/^opm-probe-hit (\d+)$/gm)].map((m) => Number(m[1])));
}

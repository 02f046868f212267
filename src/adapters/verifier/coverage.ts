import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { clipLog, runTool } from "../framework/run-tool.js";
import type { RunSpec } from "../../kernel/plan/index.js";
import { describeStatus, runProgram } from "./run-program.js";
import type { RunLimits } from "./verdict.js";

/**
 * Flags that make clang build a program whose runs record which functions they entered:
 * LLVM's IR-level profile instrumentation with the entry block counted first, so a
 * function's first counter is the number of times it was called. It works on IR and on
 * C alike, and names functions as the symbol table does (`file.c:name` for statics).
 */
export const COVERAGE_FLAGS = ["-fprofile-generate", "-mllvm", "-pgo-instrument-entry=true"] as const;

/** Which functions the runs entered, or why that is not known. */
export type Coverage = { executed: Set<string> } | { unknown: string };

/**
 * Runs `instrumentedExe` (built with `COVERAGE_FLAGS`) once per run, sandboxed like every
 * program run, and reads the profiles with `llvm-profdata`: the functions entered at
 * least once over all runs. A run that crashes writes no profile; the functions it
 * entered are then missing, which can only make the verdict more cautious.
 */
export async function executedFunctions(
  instrumentedExe: string, runs: readonly (RunSpec | undefined)[], limits: RunLimits, profdata: string, dir: string,
): Promise<Coverage> {
  const profiles = join(dir, "profiles");
  await rm(profiles, { recursive: true, force: true });
  await mkdir(profiles, { recursive: true });
  for (const run of runs) {
    const r = await runProgram(instrumentedExe, run, limits, { LLVM_PROFILE_FILE: join(profiles, "%p.profraw") });
    if (r.limit !== undefined) return { unknown: `the coverage build was ${describeStatus(r)} on run ${run?.name ?? "(no arguments)"}` };
  }
  const raw = (await readdir(profiles)).filter((f) => f.endsWith(".profraw")).map((f) => join(profiles, f));
  if (raw.length === 0) return { unknown: "no run of the coverage build wrote a profile (every run crashed or called _exit)" };
  const merged = await runTool(profdata, ["merge", "-o", join(dir, "merged.profdata"), ...raw], { cwd: dir, timeoutMs: 60_000 });
  if (merged.exitCode !== 0) return { unknown: `llvm-profdata merge failed: ${clipLog(merged.stderr, 400)}` };
  const shown = await runTool(profdata, ["show", "--all-functions", "--counts", join(dir, "merged.profdata")], { cwd: dir, timeoutMs: 60_000, maxOutputBytes: 256 * 1024 * 1024 });
  if (shown.exitCode !== 0) return { unknown: `llvm-profdata show failed: ${clipLog(shown.stderr, 400)}` };
  return { executed: enteredFunctions(shown.stdout.toString("utf8")) };
}

/**
 * The functions `llvm-profdata show --all-functions --counts` lists with a non-zero
 * entry count (the first block count, with `entry_first = 1`); a static function's
 * `file:name` is read as `name`.
 */
export function enteredFunctions(listing: string): Set<string> {
  const entered = new Set<string>();
  let current: string | undefined;
  for (const line of listing.split("\n")) {
    const header = /^ {2}(\S.*):$/.exec(line);
    if (header) {
      current = header[1]!.slice(header[1]!.lastIndexOf(":") + 1);
      continue;
    }
    const counts = /^ {4}Block counts: \[(\d+)/.exec(line);
    if (counts && current !== undefined && Number(counts[1]) > 0) entered.add(current);
  }
  return entered;
}

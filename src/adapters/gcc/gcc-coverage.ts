import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isOpmError } from "../../kernel/errors/index.js";
import type { CBundleUnit } from "../framework/c-bundle.js";
import { mapConcurrent } from "../framework/map-concurrent.js";
import { clipLog, runTool, type ToolResult } from "../framework/run-tool.js";
import { reachableFunctions } from "../llvm/changed-functions.js";
import { findLlvmTools, LLVM_TOOL_PACKAGES } from "../llvm/find-llvm-tools.js";
import { readLlvmIr } from "../llvm/read-llvm-ir.js";
import { COVERAGE_FLAGS, executedFunctions } from "../verifier/coverage.js";
import type { Runs } from "../verifier/differential-execution.js";
import type { RunLimits } from "../verifier/verdict.js";
import { functionName } from "./changed-gcc-functions.js";

/**
 * How each unit becomes IR for the coverage build: unoptimised, and with every static
 * function given a name unique to its unit (`-funique-internal-linkage-names`), so that
 * linking the units renames nothing and a profile tells one unit's `static f` from another's.
 */
export const COVERAGE_IR_FLAGS = ["-O0", "-w", "-S", "-emit-llvm", "-funique-internal-linkage-names"] as const;

/** A GCC program rebuilt by clang to tell which functions runs enter, or why it could not be. */
export type CoverageProgram = {
  /** The profile-instrumented executable (`COVERAGE_FLAGS`). */
  exe: string;
  profdata: string;
  /** Every function the linked IR defines: IR name → the GCC verifier's name (`functionName`). */
  names: Map<string, string>;
  /** The functions the program can run (`reachableFunctions` of the linked IR), by the verifier's names. */
  reachable: Set<string>;
  /** The build, for the evidence. */
  how: string;
} | { unknown: string };

/**
 * What the runs of a GCC program exercised, in the verifier's names (`functionName`):
 * the functions they entered, those the program can run at all, and every function the
 * program's source defines; or why that is not known.
 */
export type GccCoverage = { executed: Set<string>; reachable: Set<string>; defined: Set<string>; how: string } | { unknown: string };

/**
 * Builds the coverage program of a C source or bundle written under `root` (its units'
 * paths relative to it): each unit to IR with clang (`COVERAGE_IR_FLAGS` and the unit's
 * own flags), the IR joined with `llvm-link`, and the linked IR built with clang
 * `-O0 COVERAGE_FLAGS` and `libraries` into `<dir>/reference-coverage`. `unitNames[i]`
 * names unit `i`'s statics (`functionName`). A program clang cannot compile (GCC-only C
 * extensions), missing LLVM tools, or two units' statics clang cannot tell apart give
 * `unknown` with the reason.
 */
export async function buildCoverageProgram(options: {
  units: readonly CBundleUnit[]; unitNames: readonly (string | undefined)[]; root: string; dir: string;
  libraries: readonly string[]; timeoutMs: number;
}): Promise<CoverageProgram> {
  const { units, unitNames, root, dir, libraries, timeoutMs } = options;
  let tools: ReturnType<typeof findLlvmTools>;
  try {
    tools = findLlvmTools();
  } catch (err) {
    if (isOpmError(err, "tool_missing")) return { unknown: err.message };
    throw err;
  }
  const irOf = (i: number): string => `coverage_ir_${i}.ll`;
  const compiled = await mapConcurrent(units, (unit, i) =>
    runTool(tools.clang, [...COVERAGE_IR_FLAGS, ...unit.args, unit.path, "-o", join("..", irOf(i))], { cwd: root, timeoutMs, deterministic: true, missingPackage: "clang" }));
  const failed = compiled.findIndex((r) => r.exitCode !== 0);
  if (failed >= 0) return { unknown: `clang cannot compile \`${units[failed]!.path}\` (a GCC-only C extension?): ${failure(compiled[failed]!)}` };

  const names = new Map<string, string>();
  const locals = new Set<string>();
  for (const [i, unit] of units.entries()) {
    for (const fn of definedFunctions(await readFile(join(dir, irOf(i)), "utf8"))) {
      const name = fn.local ? functionName(unitNames[i], sourceFunctionName(fn.name), true) : fn.name;
      if (names.has(fn.name) && (fn.local || locals.has(fn.name))) {
        return { unknown: `two units define a function clang names \`${fn.name}\` (one of them static, without a prototype), so a profile cannot tell them apart (the second in \`${unit.path}\`)` };
      }
      names.set(fn.name, name);
      if (fn.local) locals.add(fn.name);
    }
  }
  let linked = irOf(0);
  if (units.length > 1) {
    linked = "coverage.ll";
    const r = await runTool(tools["llvm-link"], ["-S", ...units.map((_, i) => irOf(i)), "-o", linked], { cwd: dir, timeoutMs, missingPackage: LLVM_TOOL_PACKAGES["llvm-link"] });
    if (r.exitCode !== 0) return { unknown: `llvm-link cannot join the units' IR: ${failure(r)}` };
  }
  const text = await readFile(join(dir, linked), "utf8");
  let reachable: Set<string>;
  try {
    const module = readLlvmIr(text);
    const unnamed = module.functions.map((f) => unquote(f.name)).find((n) => !names.has(n));
    if (unnamed !== undefined) return { unknown: `llvm-link renamed a function to \`${unnamed}\`, which no unit defines` };
    reachable = new Set([...reachableFunctions(module, text)].map((n) => names.get(n) ?? n));
  } catch (err) {
    if (isOpmError(err, "invalid_argument")) return { unknown: `the units' IR cannot be read: ${err.message}` };
    throw err;
  }
  const build = [tools.clang, "-O0", ...COVERAGE_FLAGS, ...libraries].join(" ");
  const r = await runTool(tools.clang, ["-O0", "-w", ...COVERAGE_FLAGS, linked, "-o", "reference-coverage", ...libraries], { cwd: dir, timeoutMs, deterministic: true, missingPackage: "clang" });
  if (r.exitCode !== 0) return { unknown: `the coverage build (\`${build}\`) failed: ${failure(r)}` };
  return {
    exe: join(dir, "reference-coverage"), profdata: tools["llvm-profdata"], names, reachable,
    how: `functions entered measured on a profile-instrumented build of the same units (\`clang ${COVERAGE_IR_FLAGS.join(" ")}\` per unit, llvm-link, \`${build}\`)`,
  };
}

/** Runs the coverage program on `runs` (`executedFunctions`) and names what they entered as the GCC verifier does. */
export async function measureCoverage(program: CoverageProgram, runs: Runs, limits: RunLimits, dir: string): Promise<GccCoverage> {
  if ("unknown" in program) return program;
  const entered = await executedFunctions(program.exe, runs, limits, program.profdata, dir);
  if ("unknown" in entered) return entered;
  return {
    executed: new Set([...entered.executed].map((n) => program.names.get(n) ?? n)),
    reachable: program.reachable,
    defined: new Set(program.names.values()),
    how: program.how,
  };
}

/** The functions a module of clang's IR defines (`define` lines), and which are local (`internal`, `private`). */
export function definedFunctions(text: string): Array<{ name: string; local: boolean }> {
  const defined: Array<{ name: string; local: boolean }> = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("define ")) continue;
    const name = /@("(?:[^"\\]|\\.)*"|[-\w$.]+)\(/.exec(line)?.[1];
    if (name !== undefined) defined.push({ name: unquote(name), local: /^define\s+(?:internal|private)\s/.test(line) });
  }
  return defined;
}

/**
 * The C name of a static function clang renamed with `-funique-internal-linkage-names`:
 * `f.__uniq.<hash>` → `f`; clang 14 also mangles a prototyped one, `_ZL6helperi.__uniq.<hash>`
 * → `helper`. Any other name is returned as it is.
 */
export function sourceFunctionName(irName: string): string {
  const unique = /^(.*)\.__uniq\.\d+$/.exec(irName)?.[1];
  if (unique === undefined) return irName;
  const mangled = /^_ZL(\d+)/.exec(unique);
  if (mangled === null) return unique;
  const start = mangled[0].length;
  const length = Number(mangled[1]);
  return start + length <= unique.length ? unique.slice(start, start + length) : unique;
}

function failure(r: ToolResult): string {
  return clipLog(r.stderr, 800).trim() || `exit ${r.exitCode ?? r.signal}`;
}

function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1) : name;
}

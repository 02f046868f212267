import { mapConcurrent } from "../framework/map-concurrent.js";
import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { basename, dirname, join } from "node:path";
import { OpmError } from "../../kernel/errors/index.js";
import { clipLog, findExecutable, runTool, type ToolResult } from "../framework/run-tool.js";

/** Where Debian's `wasi-libc` lives: headers in `<sysroot>/include/wasm32-wasi`, libraries in `<sysroot>/lib/wasm32-wasi`. */
export const WASI_SYSROOT = "/usr";

/**
 * The exact clang flags that turn one C file into the wasm a Cranelift problem
 * starts from (Debian's clang + `wasi-libc`, whose sysroot is `/usr`):
 * - `-c`: a relocatable wasm object holding only the program's own functions
 *   (libc calls stay imports), so features and code size describe the user's code,
 *   not wasi-libc's printf;
 * - `-O0`: no LLVM optimisation, so that what a plan gains is Cranelift's doing. On
 *   `-O2` wasm LLVM has already inlined everything into `main` and Cranelift's
 *   mid-end often makes code larger than `opt_level=none` (measured on the corpus:
 *   bitcount 2656 vs 2184 bytes, sieve 1915 vs 1840, rc4 4128 vs 3387); on `-O0`
 *   wasm `speed_and_size` is 18–35 % smaller than `none` on all 24 corpus programs.
 * A file's own flags (`-I`, `-D`, `-U`, `-std=`, `-include`) come after these.
 */
export const CLANG_WASM_FLAGS = ["--target=wasm32-wasi", `--sysroot=${WASI_SYSROOT}`, "-O0", "-c"] as const;

/** Clang names tried in order when none is given. */
const CLANG_NAMES = ["clang", "clang-20", "clang-19", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14"];

/** The clang to use: `explicit` if given, else the first of `clang`, `clang-20` … `clang-14` on `$PATH`. */
export function findClang(explicit?: string): string {
  for (const name of explicit !== undefined ? [explicit] : CLANG_NAMES) {
    const path = findExecutable(name);
    if (path !== undefined) return path;
  }
  throw new OpmError("tool_missing", `clang not found (${explicit ?? CLANG_NAMES.join(", ")}); install the Debian packages \`clang\` and \`wasi-libc\``);
}

/** One C translation unit: its absolute path and its own preprocessor and language flags. */
export interface CWasmUnit {
  path: string;
  args: readonly string[];
}

export interface CompileCToWasmOptions {
  clang: string;
  workDir: string;
  timeoutMs: number;
  /** wasi-libc's sysroot; default `WASI_SYSROOT`. Only a test changes it. */
  sysroot?: string;
}

/**
 * Compiles one C file with `clang <CLANG_WASM_FLAGS> <its flags> <basename> -o
 * <workDir>/input.wasm`, run in the file's directory so that no absolute path enters
 * the object, and returns the wasm bytes. A file that does not compile is
 * `compiler_failed` naming the file and clang's first errors (`cCompileError`), or
 * `tool_missing` when wasi-libc's headers are what is missing.
 */
export async function compileCToWasm(file: string | CWasmUnit, options: CompileCToWasmOptions): Promise<Buffer> {
  const unit = typeof file === "string" ? { path: file, args: [] } : file;
  const out = join(options.workDir, "input.wasm");
  await compileUnit(unit, out, options);
  return readFile(out);
}

/**
 * A C program → one wasm module, the program's own code only:
 * - each unit is compiled as `compileCToWasm` does (`-c`, its own flags) to a wasm object;
 * - `libraries` must be wasi-libc's (`wasiLibraries`: `m` is an empty archive there,
 *   the math functions are in libc itself): another is `invalid_argument` naming it;
 * - the objects are linked against wasi-libc and `-l<library>` as a check
 *   (`-nostartfiles -Wl,--no-entry -Wl,--no-gc-sections`, so no `main` is needed and
 *   every reference counts): an undefined or duplicate symbol is `compiler_failed`
 *   naming the source file;
 * - the module is the relocatable link of the objects alone (`clang -nostdlib -r`,
 *   i.e. `wasm-ld -r`): calls into wasi-libc (and the libraries) stay imports, as for one
 *   file, so features and code size describe the program's code, not libc's.
 * One unit without libraries is exactly `compileCToWasm` (same bytes, same digest); one
 * unit with libraries is checked the same way, and its module is its object.
 */
export async function compileProgramToWasm(units: readonly CWasmUnit[], libraries: readonly string[], options: CompileCToWasmOptions): Promise<Buffer> {
  if (units.length === 0) throw new OpmError("invalid_argument", "field `files`: no C file given", { field: "files" });
  const sysroot = options.sysroot ?? WASI_SYSROOT;
  if (units.length === 1 && libraries.length === 0) return compileCToWasm(units[0]!, options);
  const available = wasiLibraries(sysroot);
  const missing = libraries.find((l) => !available.includes(l));
  if (missing !== undefined) {
    throw new OpmError("invalid_argument", `field \`libraries\`: the Cranelift toolchain compiles C to wasm32-wasi; library \`${missing}\` is not in wasi-libc (it has ${available.join(", ")})`, { field: "libraries" });
  }
  // Objects are named by index and linked from the work folder, so no path enters the module.
  const objects = units.map((_, i) => `unit-${i}.o`);
  // A few at a time (at most the CPUs, at most 4); the first failing unit in order is the one reported.
  await mapConcurrent(units, (unit, i) => compileUnit(unit, join(options.workDir, objects[i]!), options), Math.min(4, availableParallelism()));
  const nameOf = (text: string): string => text.replace(/\bunit-(\d+)\.o\b/g, (whole, i: string) => units[Number(i)]?.path ?? whole);
  const base = ["--target=wasm32-wasi", `--sysroot=${sysroot}`];
  const check = await runTool(options.clang, [
    ...base, "-nostartfiles", "-Wl,--no-entry", "-Wl,--no-gc-sections", ...objects, ...libraries.map((l) => `-l${l}`), "-o", "link-check.wasm",
  ], { cwd: options.workDir, timeoutMs: options.timeoutMs, missingPackage: "lld" });
  if (check.exitCode !== 0) {
    const stderr = nameOf(check.stderr.toString("utf8"));
    requireLinker(stderr);
    throw new OpmError("compiler_failed", `the program does not link for wasm32-wasi against wasi-libc${libraries.length > 0 ? ` and ${libraries.map((l) => `-l${l}`).join(" ")}` : ""}: ${linkErrors(stderr)}`, {
      field: "files", detail: clipLog(stderr),
    });
  }
  if (units.length === 1) return readFile(join(options.workDir, objects[0]!));
  const r = await runTool(options.clang, [...base, "-nostdlib", "-r", ...objects, "-o", "program.wasm"], { cwd: options.workDir, timeoutMs: options.timeoutMs, missingPackage: "lld" });
  if (r.exitCode !== 0) {
    const stderr = nameOf(r.stderr.toString("utf8"));
    requireLinker(stderr);
    throw new OpmError("compiler_failed", `wasm-ld could not link the ${units.length} wasm objects into one module: ${linkErrors(stderr)}`, { field: "files", detail: clipLog(stderr) });
  }
  return readFile(join(options.workDir, "program.wasm"));
}

/**
 * The libraries wasi-libc offers to `-l` (`c`, `m`, `wasi-emulated-signal`, …): the
 * `lib*.a` of `<sysroot>/lib/wasm32-wasi`. `tool_missing` when that folder is absent.
 */
export function wasiLibraries(sysroot: string = WASI_SYSROOT): string[] {
  const dir = join(sysroot, "lib", "wasm32-wasi");
  if (!existsSync(dir)) throw new OpmError("tool_missing", `wasi-libc is not installed (no ${dir}); install the Debian package \`wasi-libc\``);
  return readdirSync(dir).filter((f) => /^lib.+\.a$/.test(f)).map((f) => f.slice(3, -2)).sort();
}

async function compileUnit(unit: CWasmUnit, out: string, options: CompileCToWasmOptions): Promise<void> {
  const flags = options.sysroot === undefined ? CLANG_WASM_FLAGS : CLANG_WASM_FLAGS.map((f) => (f.startsWith("--sysroot=") ? `--sysroot=${options.sysroot}` : f));
  const r = await runTool(options.clang, [...flags, ...unit.args, basename(unit.path), "-o", out], {
    cwd: dirname(unit.path),
    timeoutMs: options.timeoutMs,
    missingPackage: "clang",
  });
  if (r.exitCode !== 0) throw cCompileError(unit.path, r, options.sysroot ?? WASI_SYSROOT);
}

/**
 * The error for a C file clang could not compile to wasm32-wasi. It is the program's
 * (`compiler_failed`, field `files`: the file and clang's first error lines, full stderr
 * in `detail`) unless wasi-libc's headers are really missing — no
 * `<sysroot>/include/wasm32-wasi` and clang could not find or use a header — which is
 * `tool_missing` naming the package. With the sysroot present, an error inside a host
 * header (`/usr/include/setjmp.h`: clang falls back to the host's `/usr/include` after
 * wasi-libc's) says that wasi-libc lacks that header.
 */
export function cCompileError(file: string, r: Pick<ToolResult, "stderr" | "exitCode" | "signal">, sysroot: string = WASI_SYSROOT): OpmError {
  const stderr = r.stderr.toString("utf8");
  const errors = firstErrors(stderr);
  const wasiInclude = join(sysroot, "include", "wasm32-wasi");
  const headerTrouble = /file not found|\/usr\/include\//.test(errors);
  if (!existsSync(wasiInclude) && headerTrouble) {
    return new OpmError("tool_missing", `clang could not compile \`${file}\` to wasm32-wasi because wasi-libc is not installed (no ${wasiInclude}): install the Debian package \`wasi-libc\`; clang says: ${errors}`, {
      detail: clipLog(stderr),
    });
  }
  const hostHeader = new RegExp(`^(/usr/include/(?!wasm32-wasi/)(\\S+?\\.h)):\\d+`, "m").exec(errors);
  const hint = existsSync(wasiInclude) && hostHeader !== null
    ? ` (wasi-libc has no \`${hostHeader[2]}\`: clang used the host's ${hostHeader[1]}, which does not build for wasm32-wasi)`
    : "";
  const status = r.exitCode ?? r.signal;
  return new OpmError("compiler_failed", `\`${file}\` does not compile for wasm32-wasi (clang exit ${status}): ${errors || "no error message"}${hint}`, {
    field: "files", detail: clipLog(stderr),
  });
}

/** Clang's first `error:` lines (at most 3), joined by `; `, each cut at 300 characters. */
function firstErrors(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => /(^|: )(fatal )?error: /.test(l));
  const shown = lines.slice(0, 3).map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l));
  return shown.join("; ") + (lines.length > 3 ? `; and ${lines.length - 3} more error(s)` : "");
}

/** `tool_missing` when clang could not run its wasm linker. */
function requireLinker(stderr: string): void {
  if (/wasm-ld\S*"? (doesn't exist|not found)|unable to execute command.*wasm-ld/i.test(stderr)) {
    throw new OpmError("tool_missing", `clang found no \`wasm-ld\` to link several C files for wasm32-wasi; install the Debian package \`lld\``, { detail: clipLog(stderr) });
  }
}

/** wasm-ld's `error:` lines (at most 5), each without the tool prefix and with its `>>> defined in …` notes. */
function linkErrors(stderr: string): string {
  const errors: string[] = [];
  for (const line of stderr.split("\n")) {
    if (/^>>> /.test(line) && errors.length > 0) errors[errors.length - 1] += ` (${line.slice(4).trim()})`;
    else if (/ error: /.test(line) && !/^clang(-\d+)?: error: linker command failed/.test(line)) errors.push(line.replace(/^\S*wasm-ld(-\d+)?: error: /, ""));
  }
  const shown = errors.slice(0, 5).join("; ");
  return (shown || stderr.trim().split("\n")[0] || "no error message") + (errors.length > 5 ? `; and ${errors.length - 5} more error(s)` : "");
}

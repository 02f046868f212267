import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { OpmError } from "../../kernel/errors/index.js";
import { clipLog, findExecutable, runTool } from "../framework/run-tool.js";

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
 */
export const CLANG_WASM_FLAGS = ["--target=wasm32-wasi", "--sysroot=/usr", "-O0", "-c"] as const;

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

/**
 * Compiles `file` with `clang <CLANG_WASM_FLAGS> <basename> -o <workDir>/input.wasm`,
 * run in the file's directory so that no absolute path enters the object, and
 * returns the wasm bytes. Throws `compiler_failed` with clang's stderr.
 */
export async function compileCToWasm(file: string, options: { clang: string; workDir: string; timeoutMs: number }): Promise<Buffer> {
  const out = join(options.workDir, "input.wasm");
  const r = await runTool(options.clang, [...CLANG_WASM_FLAGS, basename(file), "-o", out], {
    cwd: dirname(file),
    timeoutMs: options.timeoutMs,
    missingPackage: "clang",
  });
  if (r.exitCode !== 0) {
    throw new OpmError("compiler_failed", `clang could not compile \`${basename(file)}\` to wasm32-wasi (exit ${r.exitCode ?? r.signal}; needs the Debian package \`wasi-libc\`)`, {
      detail: clipLog(r.stderr),
    });
  }
  return readFile(out);
}

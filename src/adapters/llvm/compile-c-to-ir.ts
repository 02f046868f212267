import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { OpmError } from "../../kernel/errors/index.js";
import { clipLog, runTool } from "../framework/run-tool.js";

/**
 * The exact clang flags that turn C into the IR a problem starts from: `-Oz` so that
 * functions carry `optsize minsize` and are not `optnone`/`noinline`, with every LLVM
 * pass disabled so that the search starts from unoptimised IR.
 */
export const CLANG_IR_FLAGS = ["-Oz", "-Xclang", "-disable-llvm-passes", "-emit-llvm", "-S"] as const;

export interface CompileCOptions {
  clang: string;
  llvmLink: string;
  /** Directory for intermediate files (the caller owns and removes it). */
  workDir: string;
  timeoutMs: number;
}

/** A C translation unit and its own preprocessor and language flags (`-I`, `-D`, `-std=`). */
export interface CUnit {
  path: string;
  args: readonly string[];
}

/**
 * Compiles C sources to one textual LLVM module: `clang <CLANG_IR_FLAGS> <unit's flags>`
 * per file (run in the file's directory on its base name, so that no absolute path leaks
 * into `source_filename`), joined with `llvm-link -S` — with `modules` (`.ll` or `.bc`
 * files) too — when there is more than one. Throws `compiler_failed` with clang's stderr
 * when a file does not compile.
 */
export async function compileCToIr(files: readonly (string | CUnit)[], options: CompileCOptions, modules: readonly string[] = []): Promise<string> {
  if (files.length + modules.length === 0) throw new OpmError("invalid_argument", "no C source or IR files given", { field: "files" });
  const outputs: string[] = [];
  for (const [i, unit] of files.entries()) {
    const { path: file, args } = typeof unit === "string" ? { path: unit, args: [] } : unit;
    const out = join(options.workDir, `source-${i}.ll`);
    const r = await runTool(options.clang, [...CLANG_IR_FLAGS, ...args, basename(file), "-o", out], {
      cwd: dirname(file),
      timeoutMs: options.timeoutMs,
      missingPackage: "clang",
    });
    if (r.exitCode !== 0) {
      throw new OpmError("compiler_failed", `clang could not compile \`${basename(file)}\` (exit ${r.exitCode ?? r.signal})`, {
        detail: clipLog(r.stderr),
      });
    }
    outputs.push(out);
  }
  outputs.push(...modules);
  if (outputs.length === 1 && outputs[0]!.endsWith(".ll")) return readFile(outputs[0]!, "utf8");
  const linked = join(options.workDir, "linked.ll");
  const r = await runTool(options.llvmLink, ["-S", ...outputs, "-o", linked], { timeoutMs: options.timeoutMs, missingPackage: "llvm" });
  if (r.exitCode !== 0) {
    throw new OpmError("compiler_failed", `llvm-link could not join ${outputs.length} modules (exit ${r.exitCode ?? r.signal})`, {
      detail: clipLog(r.stderr),
    });
  }
  return readFile(linked, "utf8");
}

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

/**
 * Compiles C sources to one textual LLVM module: `clang <CLANG_IR_FLAGS>` per file
 * (run in the file's directory on its base name, so that no absolute path leaks into
 * `source_filename`), joined with `llvm-link -S` when there are several. Throws
 * `compiler_failed` with clang's stderr when a file does not compile.
 */
export async function compileCToIr(files: readonly string[], options: CompileCOptions): Promise<string> {
  if (files.length === 0) throw new OpmError("invalid_argument", "no C source files given", { field: "files" });
  const outputs: string[] = [];
  for (const [i, file] of files.entries()) {
    const out = join(options.workDir, `source-${i}.ll`);
    const r = await runTool(options.clang, [...CLANG_IR_FLAGS, basename(file), "-o", out], {
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
  if (outputs.length === 1) return readFile(outputs[0]!, "utf8");
  const linked = join(options.workDir, "linked.ll");
  const r = await runTool(options.llvmLink, ["-S", ...outputs, "-o", linked], { timeoutMs: options.timeoutMs, missingPackage: "llvm" });
  if (r.exitCode !== 0) {
    throw new OpmError("compiler_failed", `llvm-link could not join ${files.length} modules (exit ${r.exitCode ?? r.signal})`, {
      detail: clipLog(r.stderr),
    });
  }
  return readFile(linked, "utf8");
}

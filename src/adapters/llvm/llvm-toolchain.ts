import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { machine } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { contentId } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { requireObjective } from "../framework/require-objective.js";
import { withWorkDir } from "../framework/work-dir.js";
import { llvmDeclaration } from "./llvm-declaration.js";
import { textBytes } from "../framework/elf.js";
import { clipLog, runTool, type ToolResult } from "../framework/run-tool.js";
import type { EvaluationToVerify, Measurement, PreparedProblem, ProblemInput, Toolchain, ToolchainInfo } from "../framework/toolchain.js";
import { verifyRebuiltOutput } from "../framework/verify-rebuilt-output.js";
import type { Verdict } from "../verifier/verdict.js";
import { LLVM_SIZE_PREFIX, llvmSearchSpace } from "./llvm-search-space.js";
import { withDependentLibraries } from "./dependent-libraries.js";
import { programOf, type ProgramSource } from "../framework/program-source.js";
import type { Objective, PassLevel, PassOffer, Plan, SearchSpace } from "../../kernel/plan/index.js";
import { compileCToIr } from "./compile-c-to-ir.js";
import { findLlvmTools, type FindLlvmToolsOptions, type LlvmToolName } from "./find-llvm-tools.js";
import { countInstructions } from "./inst-count-features.js";
import { llvmFeatures } from "./llvm-features.js";
import { renderPipeline, shellQuote, validateLlvmPlan } from "./llvm-plan.js";
import { parseOptHelp, parsePrintPasses } from "./parse-print-passes.js";
import { readLlvmIr } from "./read-llvm-ir.js";
import { rememberInstructionCount, rememberTextSize, rememberVerified } from "./artifact-memo.js";

export interface LlvmToolchainOptions extends FindLlvmToolsOptions {
  /** Default time limit of one `evaluate` (all tool runs together); default 60 s. */
  timeoutMs?: number;
}


/**
 * The LLVM 14 (new pass manager) toolchain.
 * - Inputs are textual IR (`llvm-ir`), bitcode (`llvm-bc`) or C (`c-source`, compiled
 *   with `compileCToIr`'s exact clang flags).
 * - A plan is run as `opt -passes=<steps joined by ','> -S` under `setarch -R`, each
 *   step wrapped in its pass manager (`function(…)`, see `renderPipeline`),
 *   (some LLVM 14 passes, e.g. gvn-sink, order by heap address), then checked with
 *   `opt -passes=verify`. An empty plan runs `opt -passes=''`: the module unchanged.
 * - `ir-instcount`: instructions in defined functions of the output (see
 *   `countInstructions`). `text-size`: `.text*` bytes of `llc -filetype=obj` on the
 *   output with llc's defaults (`-O2`, the module's triple, default relocation model).
 */
export class LlvmToolchain implements Toolchain {
  private readonly options: LlvmToolchainOptions;
  private infoPromise: Promise<ToolchainInfo> | undefined;
  private catalogPromise: Promise<PassOffer[]> | undefined;
  /** Pass name → level, from the catalog; needed to render a plan. */
  private levels: Map<string, PassLevel> | undefined;

  constructor(options: LlvmToolchainOptions = {}) {
    this.options = options;
  }

  /** Finds the tools (`tool_missing` naming `llvm` / `clang` otherwise) and reads `opt --version`. */
  info(): Promise<ToolchainInfo> {
    this.infoPromise ??= (async () => {
      const tools = findLlvmTools(this.options);
      const r = await runTool(tools.opt, ["--version"], { timeoutMs: 10_000, missingPackage: "llvm" });
      const text = r.stdout.toString();
      const version = /LLVM version (\d+\.\d+\.\d+)/.exec(text)?.[1];
      if (version === undefined) throw new OpmError("internal", `cannot read a version from \`${tools.opt} --version\``, { detail: clipLog(text) });
      const target = /Default target: (\S+)/.exec(text)?.[1] ?? "unknown";
      return { compiler: "llvm" as const, version, target, tools: { ...tools } };
    })();
    this.infoPromise.catch(() => (this.infoPromise = undefined));
    return this.infoPromise;
  }

  /** Transform passes of `opt -print-passes` minus `LLVM_PASS_EXCLUSIONS`, plus `default<Ox>`. */
  catalog(): Promise<PassOffer[]> {
    this.catalogPromise ??= (async () => {
      const opt = await this.tool("opt");
      const passes = await runTool(opt, ["-print-passes"], { timeoutMs: 10_000 });
      const help = await runTool(opt, ["--help"], { timeoutMs: 10_000 });
      const offers = parsePrintPasses(passes.stdout.toString(), parseOptHelp(help.stdout.toString()));
      this.levels = new Map(offers.map((o) => [o.name, o.level]));
      return offers;
    })();
    this.catalogPromise.catch(() => (this.catalogPromise = undefined));
    return this.catalogPromise;
  }

  /**
   * A program → a problem. C units go to IR by `compileCToIr` (each with its own flags)
   * and are joined with any `.ll`/`.bc` modules by `llvm-link`; a single `.ll` is taken
   * as it is. The problem's input is always textual IR, with the program's libraries
   * recorded in it (`!llvm.dependent-libraries`), so every adapter that builds it links
   * what it needs. Features from the IR; baseline = this IR under `default<Oz>`.
   */
  async prepare(source: ProgramSource | string, objective: Objective): Promise<PreparedProblem> {
    requireObjective(llvmDeclaration, objective);
    const program = programOf(source);
    const other = program.files.find((f) => !["c", "llvm-ir", "llvm-bc"].includes(f.kind));
    if (other !== undefined) {
      throw new OpmError("invalid_argument", `field \`files\`: the LLVM toolchain takes C, .ll and .bc files, not ${other.kind} (\`${other.path}\`)`, { field: "files" });
    }
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    const only = program.files.length === 1 && program.files[0]!.kind === "llvm-ir" ? program.files[0]! : undefined;
    let bytes: Buffer;
    if (only !== undefined && program.libraries.length === 0) {
      bytes = await readFile(only.path);
    } else {
      const [clang, llvmLink] = [await this.tool("clang"), await this.tool("llvm-link")];
      const units = program.files.filter((f) => f.kind === "c");
      const modules = program.files.filter((f) => f.kind !== "c").map((f) => f.path);
      const irText = await withWorkDir("opm-llvm-", (dir) => compileCToIr(units, { clang, llvmLink, workDir: dir, timeoutMs }, modules));
      bytes = Buffer.from(withDependentLibraries(irText, program.libraries), "utf8");
    }
    const input: ProblemInput = { format: "llvm-ir", bytes };
    const baseline = await this.evaluate(input, { steps: [...LLVM_SIZE_PREFIX] }, objective);
    return { input, digest: contentId(bytes), features: llvmFeatures(bytes.toString("utf8")), baseline };
  }

  /**
   * Runs `plan` deterministically and checks the output with `opt -passes=verify`;
   * measures `ir-instcount` always and `text-size` only for that objective (`llc` costs
   * about as much as a fair part of the plan on a large module; nothing reads a metric
   * other than the objective's). The verify run, `llc` and the instruction count run
   * side by side. What opt and llc established about the output is recorded by its
   * SHA-256 (`artifact-memo.ts`), so this process's verifier does not run them again
   * on the same bytes.
   */
  async evaluate(input: ProblemInput, plan: Plan, objective: Objective, options: { timeoutMs?: number } = {}): Promise<Measurement> {
    requireObjective(llvmDeclaration, objective);
    validateLlvmPlan(plan, await this.catalog());
    const { version } = await this.info();
    const started = performance.now();
    const deadline = started + (options.timeoutMs ?? this.options.timeoutMs ?? 60_000);
    const left = (): number => Math.max(1, Math.round(deadline - performance.now()));
    return withWorkDir("opm-llvm-", async (dir) => {
      const inputFile = await this.writeInput(input, dir, left());
      const opt = await this.tool("opt");
      const pipeline = renderPipeline(plan, this.levelOf);
      const args = [`-passes=${pipeline}`, "-S", inputFile, "-o", "output.ll"];
      check(await runTool(opt, args, { cwd: dir, timeoutMs: left(), deterministic: true }), "opt", `on \`-passes=${pipeline}\``);
      const verifying = inBackground(runTool(opt, ["-passes=verify", "-disable-output", "output.ll"], { cwd: dir, timeoutMs: left() }));
      const llc = objective === "text-size" ? await this.tool("llc") : undefined;
      const compiling = llc === undefined ? undefined : inBackground(runTool(llc, ["-filetype=obj", "output.ll", "-o", "output.o"], { cwd: dir, timeoutMs: left(), deterministic: true }));
      try {
        const output = await readFile(join(dir, "output.ll"));
        const outputDigest = contentId(output);
        let counted: number | unknown;
        try {
          counted = countInstructions(readLlvmIr(output.toString("utf8")));
        } catch (err) {
          counted = err;
        }
        // The verifier's answer comes first, as when the steps ran one after another.
        const verify = await verifying;
        if (verify.exitCode !== 0) {
          throw new OpmError("verification_failed", `the output of \`-passes=${pipeline}\` fails opt's IR verifier`, { detail: clipLog(verify.stderr) });
        }
        rememberVerified(outputDigest, opt);
        if (typeof counted !== "number") throw counted;
        rememberInstructionCount(outputDigest, counted);
        const metrics: Partial<Record<Objective, number>> = { "ir-instcount": counted };
        if (compiling !== undefined) {
          check(await compiling, "llc", `on the output of \`-passes=${pipeline}\``);
          metrics["text-size"] = textBytes(await readFile(join(dir, "output.o")));
          rememberTextSize(outputDigest, llc!, metrics["text-size"]);
        }
        return {
          objective,
          value: metrics[objective]!,
          metrics,
          output,
          outputDigest,
          reproduction: `setarch ${machine()} -R ${opt} ${shellQuote(`-passes=${pipeline}`)} -S ${inputFile} -o output.ll`,
          compilerVersion: version,
          elapsedMs: performance.now() - started,
        };
      } finally {
        // Nothing may still write into `dir` when withWorkDir removes it.
        await Promise.allSettled([verifying, ...(compiling ? [compiling] : [])]);
      }
    });
  }

  /** The `opt -passes=` value that reproduces `plan` (each step wrapped in its pass manager). */
  renderPlan(plan: Plan): string {
    return renderPipeline(plan, this.levelOf);
  }

  /** `default<Oz>` and any pass by name (see `llvmSearchSpace`). */
  searchSpace(catalog: readonly PassOffer[], objective: Objective, maxSteps: number): SearchSpace {
    return llvmSearchSpace(catalog, objective, maxSteps);
  }

  /** The four layers of `verifyLlvm` on the input and the IR the plan produced. */
  verifyEvaluation(evaluation: EvaluationToVerify, cache: Map<string, unknown>): Promise<Verdict> {
    return verifyRebuiltOutput(llvmDeclaration, evaluation, cache);
  }

  /** Nothing to release: every tool runs as its own process. */
  async close(): Promise<void> {}

  private readonly levelOf = (name: string): PassLevel | undefined => {
    if (!this.levels) {
      // renderPlan is synchronous, so before catalog() has run, read the pass list
      // with one blocking call (a few milliseconds).
      const opt = findLlvmTools(this.options).opt;
      const text = execFileSync(opt, ["-print-passes"], { encoding: "utf8", timeout: 10_000 });
      this.levels = new Map(parsePrintPasses(text).map((o) => [o.name, o.level]));
    }
    return this.levels.get(name);
  };

  private async tool(name: LlvmToolName): Promise<string> {
    return (await this.info()).tools[name]!;
  }

  /** Writes the input where opt reads it: `input.ll` or `input.bc` (C is compiled first). */
  private async writeInput(input: ProblemInput, dir: string, timeoutMs: number): Promise<string> {
    if (input.format === "llvm-ir" || input.format === "llvm-bc") {
      const name = input.format === "llvm-ir" ? "input.ll" : "input.bc";
      await writeFile(join(dir, name), input.bytes);
      return name;
    }
    if (input.format === "c-source") {
      await writeFile(join(dir, "input.c"), input.bytes);
      const [clang, llvmLink] = [await this.tool("clang"), await this.tool("llvm-link")];
      await writeFile(join(dir, "input.ll"), await compileCToIr([join(dir, "input.c")], { clang, llvmLink, workDir: dir, timeoutMs }));
      return "input.ll";
    }
    throw new OpmError("invalid_argument", `field \`input.format\`: the LLVM toolchain cannot read \`${input.format}\``, { field: "input.format" });
  }



}


/** `promise`, marked handled now: a rejection before it is awaited is not an unhandled rejection. */
function inBackground<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** A non-zero exit or a signal (a crash) → `compiler_failed` with the tool's stderr. */
function check(result: ToolResult, tool: string, what: string): void {
  if (result.exitCode === 0) return;
  const how = result.signal !== null ? `crashed (${result.signal})` : `failed (exit ${result.exitCode})`;
  throw new OpmError("compiler_failed", `${tool} ${how} ${what}`, { detail: clipLog(result.stderr) });
}


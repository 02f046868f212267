import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { machine } from "node:os";
import { extname, join } from "node:path";
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
import { llvmSearchSpace } from "./llvm-search-space.js";
import type { Objective, PassLevel, PassOffer, Plan, SearchSpace } from "../../kernel/plan/index.js";
import { compileCToIr } from "./compile-c-to-ir.js";
import { findLlvmTools, type FindLlvmToolsOptions, type LlvmToolName } from "./find-llvm-tools.js";
import { countInstructions } from "./inst-count-features.js";
import { llvmFeatures } from "./llvm-features.js";
import { renderPipeline, shellQuote, validateLlvmPlan } from "./llvm-plan.js";
import { parseOptHelp, parsePrintPasses } from "./parse-print-passes.js";
import { readLlvmIr } from "./read-llvm-ir.js";

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
   * `.c` → IR by `compileCToIr`; `.ll` / `.bc` taken as they are. Features from the
   * IR text (`llvm-dis` for bitcode); baseline = this IR under `default<Oz>`.
   */
  async prepare(file: string, objective: Objective): Promise<PreparedProblem> {
    return this.prepareFiles([file], objective);
  }

  /** `prepare` for a program of several C files, joined with `llvm-link`. */
  async prepareFiles(files: readonly string[], objective: Objective): Promise<PreparedProblem> {
    requireObjective(llvmDeclaration, objective);
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    const only = files.length === 1 ? files[0]! : undefined;
    let input: ProblemInput;
    let irText: string;
    if (only !== undefined && extname(only) === ".ll") {
      const bytes = await readFile(only);
      input = { format: "llvm-ir", bytes };
      irText = bytes.toString("utf8");
    } else if (only !== undefined && extname(only) === ".bc") {
      input = { format: "llvm-bc", bytes: await readFile(only) };
      irText = await withWorkDir("opm-llvm-", (dir) => this.toText(input, dir, timeoutMs));
    } else {
      const bad = files.find((f) => extname(f) !== ".c");
      if (bad !== undefined) {
        throw new OpmError("invalid_argument", `field \`file\`: \`${bad}\` is not .c, .ll or .bc (several files must all be .c)`, { field: "file" });
      }
      const [clang, llvmLink] = [await this.tool("clang"), await this.tool("llvm-link")];
      irText = await withWorkDir("opm-llvm-", (dir) => compileCToIr(files, { clang, llvmLink, workDir: dir, timeoutMs }));
      input = { format: "llvm-ir", bytes: Buffer.from(irText, "utf8") };
    }
    const baseline = await this.evaluate(input, { steps: [{ pass: "default", value: "Oz" }] }, objective);
    return { input, digest: contentId(input.bytes), features: llvmFeatures(irText), baseline };
  }

  /** Runs `plan` deterministically, verifies the output and measures both metrics. */
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
      const verify = await runTool(opt, ["-passes=verify", "-disable-output", "output.ll"], { cwd: dir, timeoutMs: left() });
      if (verify.exitCode !== 0) {
        throw new OpmError("verification_failed", `the output of \`-passes=${pipeline}\` fails opt's IR verifier`, { detail: clipLog(verify.stderr) });
      }
      const output = await readFile(join(dir, "output.ll"));
      const llc = await this.tool("llc");
      check(await runTool(llc, ["-filetype=obj", "output.ll", "-o", "output.o"], { cwd: dir, timeoutMs: left(), deterministic: true }), "llc", `on the output of \`-passes=${pipeline}\``);
      const metrics: Partial<Record<Objective, number>> = {
        "ir-instcount": countInstructions(readLlvmIr(output.toString("utf8"))),
        "text-size": textBytes(await readFile(join(dir, "output.o"))),
      };
      return {
        objective,
        value: metrics[objective]!,
        metrics,
        output,
        outputDigest: contentId(output),
        reproduction: `setarch ${machine()} -R ${opt} ${shellQuote(`-passes=${pipeline}`)} -S ${inputFile} -o output.ll`,
        compilerVersion: version,
        elapsedMs: performance.now() - started,
      };
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

  /** The module as text (`llvm-dis` for bitcode). */
  private async toText(input: ProblemInput, dir: string, timeoutMs: number): Promise<string> {
    if (input.format === "llvm-ir") return Buffer.from(input.bytes).toString("utf8");
    await writeFile(join(dir, "input.bc"), input.bytes);
    check(await runTool(await this.tool("llvm-dis"), ["input.bc", "-o", "input.ll"], { cwd: dir, timeoutMs }), "llvm-dis", "on the input bitcode");
    return readFile(join(dir, "input.ll"), "utf8");
  }

}


/** A non-zero exit or a signal (a crash) → `compiler_failed` with the tool's stderr. */
function check(result: ToolResult, tool: string, what: string): void {
  if (result.exitCode === 0) return;
  const how = result.signal !== null ? `crashed (${result.signal})` : `failed (exit ${result.exitCode})`;
  throw new OpmError("compiler_failed", `${tool} ${how} ${what}`, { detail: clipLog(result.stderr) });
}


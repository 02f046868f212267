import { readFile, writeFile } from "node:fs/promises";
import { machine } from "node:os";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import { contentId } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { bundleProgram, decodeCBundle, encodeCBundle, writeCBundle, type CBundle } from "../framework/c-bundle.js";
import { programOf, type ProgramSource } from "../framework/program-source.js";
import { requireObjective } from "../framework/require-objective.js";
import { libraryFlags } from "../framework/library-name.js";
import { withWorkDir } from "../framework/work-dir.js";
import { gccDeclaration } from "./gcc-declaration.js";
import { textBytes } from "../framework/elf.js";
import { clipLog, findExecutable, runTool, type ToolResult } from "../framework/run-tool.js";
import type { EvaluationToVerify, Measurement, PreparedProblem, ProblemInput, Toolchain, ToolchainInfo } from "../framework/toolchain.js";
import { verifyRebuiltOutput } from "../framework/verify-rebuilt-output.js";
import type { Verdict } from "../verifier/verdict.js";
import { gccSearchSpace } from "./gcc-search-space.js";
import type { Objective, PassOffer, Plan, SearchSpace } from "../../kernel/plan/index.js";
import { compileCToIr } from "../llvm/compile-c-to-ir.js";
import { llvmFeatures } from "../llvm/llvm-features.js";
import { shellQuote } from "../llvm/llvm-plan.js";
import { buildGccCatalog } from "./gcc-catalog.js";
import { gccPlanOptions } from "./gcc-plan.js";
import { archiveArgs, bundleReproduction, compileUnits, unitObject } from "./gcc-bundle.js";

export interface GccToolchainOptions {
  /** gcc to use (path or name); default `gcc`, else `gcc-<version>` on PATH. */
  gcc?: string;
  /** clang used for the feature vector (path or name); default `clang`, else `clang-<version>`. */
  clang?: string;
  /** Directories to search, `:`-separated; default `$PATH`. */
  searchPath?: string;
  /** Catalog cache directory (default `$TMPDIR/opm-cache`), `null` for none. */
  cacheDir?: string | null;
  /** Default time limit of one `evaluate`; default 60 s. */
  timeoutMs?: number;
}

/**
 * Objectives: `text-size` = `.text*` bytes of the object file (`gcc <plan> -c`), summed
 * over the units of a bundle; `code-size` = `.text` bytes of the program linked from
 * the object(s) with the same options and the program's libraries (crt start-up code
 * included; absent when the input has no `main`).
 */

/**
 * The GCC toolchain. Input is one C file (`c-source`) or a multi-file program
 * (`c-bundle`, see `CBundle`: each unit compiled on its own with its flags, the
 * objects linked); a plan is an option list (`-O` level first, then `-f…` / `-fno-…`
 * flags and `--param=name=value`), see `gccPlanOptions`.
 * Features come from the program's LLVM IR via clang, not from GCC's own dumps: the
 * `-fdump-tree-*` formats change between GCC releases and are not meant to be
 * parsed, and the same `instcount.*`/`autophase.*` vector for both compilers lets
 * the orchestrator compare problems across adapters. Baseline: `-Os`.
 */
export class GccToolchain implements Toolchain {
  private readonly options: GccToolchainOptions;
  private infoPromise: Promise<ToolchainInfo> | undefined;
  private catalogPromise: Promise<PassOffer[]> | undefined;
  /** The catalog once loaded, so that the synchronous `renderPlan` can use it. */
  private loadedCatalog: PassOffer[] | undefined;

  constructor(options: GccToolchainOptions = {}) {
    this.options = options;
  }

  /** Finds gcc (`tool_missing` naming Debian's `gcc` otherwise) and reads its version and target. */
  info(): Promise<ToolchainInfo> {
    this.infoPromise ??= (async () => {
      const gcc = findVersioned(this.options.gcc ?? "gcc", this.options.gcc !== undefined, this.options.searchPath);
      if (gcc === undefined) {
        throw new OpmError("tool_missing", `gcc (${this.options.gcc ?? "gcc"}) is not installed or not on PATH; install the Debian package \`gcc\``);
      }
      const ask = async (flag: string): Promise<string> => (await runTool(gcc, [flag], { timeoutMs: 10_000, missingPackage: "gcc" })).stdout.toString().trim();
      const tools: Record<string, string> = { gcc };
      const clang = findVersioned(this.options.clang ?? "clang", this.options.clang !== undefined, this.options.searchPath);
      if (clang !== undefined) tools["clang"] = clang;
      return { compiler: "gcc" as const, version: await ask("-dumpfullversion"), target: await ask("-dumpmachine"), tools };
    })();
    this.infoPromise.catch(() => (this.infoPromise = undefined));
    return this.infoPromise;
  }

  /** `-O` levels, `-f` flags and `--param`s the installed gcc accepts (see `buildGccCatalog`). */
  catalog(): Promise<PassOffer[]> {
    this.catalogPromise ??= (async () => {
      const info = await this.info();
      const offers = await buildGccCatalog({ gcc: info.tools["gcc"]!, version: info.version, target: info.target, cacheDir: this.options.cacheDir });
      this.loadedCatalog = offers;
      return offers;
    })();
    this.catalogPromise.catch(() => (this.catalogPromise = undefined));
    return this.catalogPromise;
  }

  /**
   * A C program → problem. One C file without flags or libraries stays `c-source` (its
   * bytes); anything else becomes a `c-bundle` (`bundleProgram`: units, their flags and
   * local headers, libraries). Anything but C is invalid_argument naming the file.
   * Baseline `-Os` (a program gcc rejects is `compiler_failed` naming the file, with
   * gcc's diagnostics as detail), features from its clang IR (`clang` required).
   */
  async prepare(source: ProgramSource | string, objective: Objective = "text-size"): Promise<PreparedProblem> {
    requireObjective(gccDeclaration, objective);
    const program = programOf(source);
    const other = program.files.find((f) => f.kind !== "c");
    if (other !== undefined) {
      throw new OpmError("invalid_argument", `field \`files\`: the GCC toolchain takes C only; \`${other.path}\` is ${other.kind}`, { field: "files" });
    }
    if (program.files.length === 0) throw new OpmError("invalid_argument", "field `files`: no C file given", { field: "files" });
    const info = await this.info();
    const clang = info.tools["clang"];
    if (clang === undefined) throw new OpmError("tool_missing", "clang is needed for the feature vector of a GCC problem; install the Debian package `clang`");
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    const only = program.files.length === 1 && program.files[0]!.args.length === 0 && program.libraries.length === 0 ? program.files[0]!.path : undefined;
    let input: ProblemInput;
    let bundle: CBundle | undefined;
    if (only !== undefined) {
      input = { format: "c-source", bytes: await readFile(only) };
    } else {
      bundle = await bundleProgram(program, { cc: info.tools["gcc"]!, timeoutMs });
      input = { format: "c-bundle", bytes: encodeCBundle(bundle), ...(bundle.libraries.length > 0 ? { libraries: bundle.libraries } : {}) };
    }
    // gcc first: a file gcc cannot compile is reported with gcc's own diagnostics.
    const baseline = await this.evaluate(input, { steps: [{ pass: "-Os" }] }, objective).catch((err: unknown) => {
      if (!(err instanceof OpmError && err.code === "compiler_failed") || only === undefined) throw err;
      throw new OpmError("compiler_failed", `gcc could not compile \`${only}\`: ${err.message}`, { ...(err.detail ? { detail: err.detail.replaceAll("input.c", basename(only)) } : {}), cause: err });
    });
    const ir = await withWorkDir("opm-gcc-", async (dir) => {
      const units = bundle === undefined ? [only!] : await writeCBundle(bundle, join(dir, "root"));
      return compileCToIr(units, { clang, llvmLink: "llvm-link", workDir: dir, timeoutMs });
    });
    return { input, digest: contentId(input.bytes), features: llvmFeatures(ir), baseline };
  }

  /**
   * Compiles with the plan's options and measures the object's (a bundle: every unit's,
   * summed) and the linked program's `.text`. A bundle's output is the archive of its
   * unit objects (`ar rcD`, members `unit_<i>.o` in unit order).
   */
  async evaluate(input: ProblemInput, plan: Plan, objective: Objective, options: { timeoutMs?: number } = {}): Promise<Measurement> {
    requireObjective(gccDeclaration, objective);
    if (input.format !== "c-source" && input.format !== "c-bundle") {
      throw new OpmError("invalid_argument", `field \`input.format\`: the GCC toolchain compiles c-source or c-bundle, not \`${input.format}\``, { field: "input.format" });
    }
    const bundle = input.format === "c-bundle" ? decodeCBundle(input.bytes) : undefined;
    const libraries = libraryFlags([...(bundle?.libraries ?? []), ...(input.libraries ?? [])]);
    const flags = gccPlanOptions(plan, await this.catalog());
    const info = await this.info();
    const gcc = info.tools["gcc"]!;
    const started = performance.now();
    const deadline = started + (options.timeoutMs ?? this.options.timeoutMs ?? 60_000);
    const left = (): number => Math.max(1, Math.round(deadline - performance.now()));
    return withWorkDir("opm-gcc-", async (dir) => {
      let output: Buffer;
      let objects: string[];
      let reproduction: string;
      const metrics: Partial<Record<Objective, number>> = {};
      if (bundle === undefined) {
        await writeFile(join(dir, "input.c"), input.bytes);
        const compile = await runTool(gcc, [...flags, "-c", "input.c", "-o", "output.o"], { cwd: dir, timeoutMs: left(), deterministic: true, missingPackage: "gcc" });
        checkGcc(compile, flags, "compile");
        output = await readFile(join(dir, "output.o"));
        metrics["text-size"] = textBytes(output);
        objects = ["output.o"];
        const line = flags.map(shellQuote).join(" ");
        reproduction = `setarch ${machine()} -R ${gcc} ${line} -c input.c -o output.o && ${gcc} ${[line, "output.o", "-o", "program", ...libraries].join(" ")}`.replace(/ {2,}/g, " ");
      } else {
        const root = join(dir, "root");
        await writeCBundle(bundle, root);
        const results = await compileUnits(gcc, bundle.units, flags, root, "unit", left);
        results.forEach((r, i) => checkGcc(r, flags, `compile of \`${bundle.units[i]!.path}\` (unit ${i + 1} of ${bundle.units.length})`));
        objects = bundle.units.map((_, i) => unitObject(i));
        let text = 0;
        for (const o of objects) text += textBytes(await readFile(join(dir, o)));
        metrics["text-size"] = text;
        const ar = await runTool("ar", archiveArgs(objects.length), { cwd: dir, timeoutMs: left(), missingPackage: "binutils" });
        if (ar.exitCode !== 0) throw new OpmError("compiler_failed", `ar could not archive the ${objects.length} objects (exit ${ar.exitCode ?? ar.signal})`, { detail: clipLog(ar.stderr) });
        output = await readFile(join(dir, "output.a"));
        reproduction = bundleReproduction(gcc, bundle.units, flags, libraries);
      }
      const link = await runTool(gcc, [...flags, ...objects, "-o", "program", ...libraries], { cwd: dir, timeoutMs: left(), deterministic: true });
      if (link.exitCode === 0) metrics["code-size"] = textBytes(await readFile(join(dir, "program")));
      else if (objective === "code-size") checkGcc(link, flags, "link");
      return {
        objective,
        value: metrics[objective]!,
        metrics,
        output,
        outputDigest: contentId(output),
        reproduction,
        compilerVersion: info.version,
        elapsedMs: performance.now() - started,
      };
    });
  }

  /** The exact gcc options of `plan` (after `catalog()` has loaded). */
  planArguments(plan: Plan): string[] {
    if (this.loadedCatalog === undefined) throw new OpmError("internal", "planArguments needs catalog() first");
    return gccPlanOptions(plan, this.loadedCatalog);
  }

  /**
   * The gcc options of `plan`, shell-quoted and space-separated (`-Os -fno-inline
   * --param=max-unroll-times=4`), exactly as `evaluate` passes them once `catalog()`
   * has resolved (then an invalid plan throws `invalid_argument`); before that, from
   * the step spellings alone (`-ffoo` + `off` → `-fno-foo`, `-ffoo=` + v and `-ffoo` + a
   * word other than on/off → `-ffoo=v`; so `-ffp-contract` + `off`, an enumerated value,
   * is told from a flag only with the catalog).
   */
  renderPlan(plan: Plan): string {
    if (this.loadedCatalog) return gccPlanOptions(plan, this.loadedCatalog).map(shellQuote).join(" ");
    return plan.steps
      .map((s) => {
        if (s.pass.startsWith("-f") && s.value !== undefined) {
          if (s.pass.endsWith("=")) return `${s.pass}${s.value}`;
          if (OFF_WORDS.has(s.value)) return `-fno-${s.pass.slice(2)}`;
          if (ON_WORDS.has(s.value)) return s.pass;
          return `${s.pass}=${s.value}`;
        }
        if (s.pass.startsWith("-") && !s.pass.startsWith("--param")) return s.pass;
        return `--param=${s.pass.replace(/^--param[= ]/, "")}=${s.value ?? ""}`;
      })
      .map(shellQuote)
      .join(" ");
  }
  /** From `-Os` (or `-Oz`), the safe flags in the state -Os does not give them (see `gccSearchSpace`). */
  searchSpace(catalog: readonly PassOffer[], objective: Objective, maxSteps: number): SearchSpace {
    return gccSearchSpace(catalog, objective, maxSteps);
  }

  /** The four layers of `verifyGcc`: the source or bundle, the object or archive the plan produced, rebuilt with the plan's options. */
  verifyEvaluation(evaluation: EvaluationToVerify, cache: Map<string, unknown>): Promise<Verdict> {
    return verifyRebuiltOutput(gccDeclaration, evaluation, cache, this.planArguments(evaluation.plan));
  }

  /** Nothing to release: every compile runs as its own process. */
  async close(): Promise<void> {}

}

const ON_WORDS = new Set(["on", "true", "1", "yes"]);
const OFF_WORDS = new Set(["off", "false", "0", "no"]);


/** A gcc failure → `compiler_failed`; an internal compiler error or a crash is said so. */
function checkGcc(result: ToolResult, flags: readonly string[], stage: string): void {
  if (result.exitCode === 0) return;
  const stderr = result.stderr.toString("utf8");
  const what = /internal compiler error/.test(stderr)
    ? "internal compiler error"
    : result.signal !== null ? `crash (${result.signal})` : `exit ${result.exitCode}`;
  throw new OpmError("compiler_failed", `gcc ${stage} failed (${what}) with options \`${flags.join(" ")}\``, { detail: clipLog(stderr) });
}

/** `name` on the search path, else (for a default name) `name-<version>`, newest first. */
function findVersioned(name: string, explicit: boolean, searchPath?: string): string | undefined {
  const plain = findExecutable(name, searchPath);
  if (plain !== undefined || explicit) return plain;
  for (let v = 20; v >= 9; v--) {
    const found = findExecutable(`${name}-${v}`, searchPath);
    if (found !== undefined) return found;
  }
  return undefined;
}

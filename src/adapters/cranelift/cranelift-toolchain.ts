import { readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { contentId } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { requireObjective } from "../framework/require-objective.js";
import { withWorkDir } from "../framework/work-dir.js";
import { craneliftDeclaration } from "./cranelift-declaration.js";
import type { EvaluationToVerify, Measurement, PreparedProblem, ProblemInput, Toolchain, ToolchainInfo } from "../framework/toolchain.js";
import type { LayerResult, Verdict } from "../verifier/verdict.js";
import { VerdictBuilder } from "../verifier/verdict-builder.js";
import { undecidedUnlessInternal } from "../verifier/verify-transform.js";
import { craneliftSemanticsLayer } from "./differential-layer.js";
import { CRANELIFT_BASELINE_PLAN, craneliftSearchSpace } from "./cranelift-search-moves.js";
import type { Objective, PassOffer, Plan, SearchSpace } from "../../kernel/plan/index.js";
import { clifFeatures } from "./clif-features.js";
import { compileProgramToWasm, findClang } from "./compile-c-to-wasm.js";
import { programOf, type ProgramSource, type SourceFile } from "../framework/program-source.js";
import { craneliftOffers } from "./cranelift-catalog.js";
import { renderCraneliftPlan, validateCraneliftPlan, type DriverPlan } from "./cranelift-plan.js";
import { CraneliftDriverClient } from "./driver-client.js";
import {
  DRIVER_PROTOCOL, type DriverCatalog, type DriverCompiled, type DriverDifferential, type DriverInput, type DriverInterpreted,
} from "./driver-protocol.js";

export interface CraneliftToolchainOptions {
  /** The driver binary; default `defaultDriverPath()`. */
  driverPath?: string;
  /** clang used for `.c` inputs; default the first `clang`, `clang-N` on `$PATH`. */
  clang?: string;
  /** Default time limit of one driver request or clang run; default 60 s. */
  timeoutMs?: number;
  /** wasi-libc's sysroot for `.c` inputs; default `WASI_SYSROOT` (`/usr`, Debian's). */
  sysroot?: string;
}

export { CRANELIFT_BASELINE_PLAN };

/**
 * Cranelift 0.112 (x86-64) through `opm-cranelift-driver`, one process kept per
 * toolchain (call `close()` when done).
 * - Inputs are `wasm` (a `.wasm` file, or C files compiled with `CLANG_WASM_FLAGS`
 *   and linked into one module, see `prepare`) or `clif` text; each defined function
 *   is compiled.
 * - A plan is Context steps (run in order before `Context::compile`'s own fixed
 *   pipeline) and settings (`opt_level`, x86-64 flags…; unlisted ones keep
 *   Cranelift's defaults, so the empty plan is `opt_level=none`). See
 *   `renderCraneliftPlan` for the text form.
 * - The driver runs Cranelift's verifier after every step and after lowering; a
 *   refusal is `verification_failed` naming the function and step, and `evaluate`
 *   checks the driver's record of those runs (`checkVerified`).
 * - `code-size`: bytes of machine code of all functions (before relocation);
 *   `ir-instcount`: instructions of the CLIF that was lowered. The output is the
 *   machine code of every function concatenated in function order, and its digest
 *   is the driver's `output_digest`.
 */
export class CraneliftToolchain implements Toolchain {
  /** The driver process this toolchain talks to. */
  readonly driver: CraneliftDriverClient;
  private readonly options: CraneliftToolchainOptions;
  private infoPromise: Promise<ToolchainInfo> | undefined;
  private catalogPromise: Promise<DriverCatalog> | undefined;

  constructor(options: CraneliftToolchainOptions = {}) {
    this.options = options;
    this.driver = new CraneliftDriverClient({
      ...(options.driverPath !== undefined ? { path: options.driverPath } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  /**
   * Asks the driver (`tool_missing` with the build command when it is not built):
   * version = the linked `cranelift-codegen` crate version, target `x86_64`. `tools`
   * holds the driver and, when installed, the clang used for `.c` inputs.
   */
  info(): Promise<ToolchainInfo> {
    this.infoPromise ??= (async () => {
      const info = await this.driver.request("info");
      if (info.protocol_version !== DRIVER_PROTOCOL) {
        throw new OpmError("internal", `opm-cranelift-driver speaks protocol ${info.protocol_version}, this adapter protocol ${DRIVER_PROTOCOL}`);
      }
      const version = info.versions["cranelift-codegen"];
      if (version === undefined) throw new OpmError("internal", "opm-cranelift-driver `info` lists no `cranelift-codegen` version");
      const tools: Record<string, string> = { "opm-cranelift-driver": this.driver.path };
      try {
        tools["clang"] = findClang(this.options.clang);
      } catch {
        // clang is only needed for `.c` inputs; prepare() reports it then.
      }
      return { compiler: "cranelift" as const, version, target: info.target, tools };
    })();
    this.infoPromise.catch(() => (this.infoPromise = undefined));
    return this.infoPromise;
  }

  /** The driver's steps and settings as offers (`craneliftOffers`), nothing invented. */
  async catalog(): Promise<PassOffer[]> {
    return craneliftOffers(await this.driverCatalog());
  }

  /**
   * A program → a problem (`craneliftProgramShape` says what it accepts):
   * - C files (each with its own `-I`/`-D`/`-U`/`-std=`/`-include`) → one wasm module
   *   by `compileProgramToWasm`: each compiled with `CLANG_WASM_FLAGS` to a wasm
   *   object, checked to link against wasi-libc and the program's libraries (which must
   *   be wasi-libc's), and linked with `wasm-ld -r` into one object holding the
   *   program's own functions; one C file without libraries is `compileCToWasm` as it
   *   always was (same bytes, same digest);
   * - one `.wasm` or one `.clif` file, taken as it is.
   * Digest = SHA-256 of the input bytes; features = `clifFeatures` of the CLIF the
   * driver lowers the input to; baseline = `CRANELIFT_BASELINE_PLAN`.
   */
  async prepare(source: ProgramSource | string, objective: Objective = "code-size"): Promise<PreparedProblem> {
    requireObjective(craneliftDeclaration, objective);
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    const program = programOf(source);
    const shape = craneliftProgramShape(program);
    let input: ProblemInput;
    if (shape.kind === "c") {
      const clang = findClang(this.options.clang);
      const bytes = await withWorkDir("opm-cranelift-", (dir) =>
        compileProgramToWasm(shape.units, program.libraries, { clang, workDir: dir, timeoutMs, ...(this.options.sysroot !== undefined ? { sysroot: this.options.sysroot } : {}) }));
      input = { format: "wasm", bytes };
    } else {
      input = { format: shape.kind, bytes: await readFile(shape.path) };
    }
    const lowered = await this.driver.request("lower", { input: driverInput(input) }, { timeoutMs });
    const baseline = await this.evaluate(input, CRANELIFT_BASELINE_PLAN, objective);
    return { input, digest: contentId(input.bytes), features: clifFeatures(lowered.functions.map((f) => f.clif)), baseline };
  }

  /** Validates `plan` against the catalog, compiles every function and measures both metrics. */
  async evaluate(input: ProblemInput, plan: Plan, objective: Objective, options: { timeoutMs?: number } = {}): Promise<Measurement> {
    requireObjective(craneliftDeclaration, objective);
    const driverPlan = validateCraneliftPlan(plan, await this.driverCatalog());
    const { version } = await this.info();
    const started = performance.now();
    const request = { input: driverInput(input), steps: driverPlan.steps, settings: driverPlan.settings, include_code: true };
    const compiled = await this.driver.request("compile", request, { timeoutMs: options.timeoutMs ?? this.options.timeoutMs ?? 60_000 });
    checkVerified(compiled, driverPlan.steps);
    const output = Buffer.concat(compiled.functions.map((f) => Buffer.from(f.code_base64 ?? "", "base64")));
    const outputDigest = contentId(output);
    if (outputDigest !== compiled.totals.output_digest) {
      throw new OpmError("internal", `machine code digest ${outputDigest} differs from the driver's output_digest ${compiled.totals.output_digest}`);
    }
    const metrics: Partial<Record<Objective, number>> = {
      "code-size": compiled.totals.code_bytes,
      "ir-instcount": compiled.functions.reduce((n, f) => n + f.lowered_inst_count, 0),
    };
    return {
      objective,
      value: metrics[objective]!,
      metrics,
      output,
      outputDigest,
      reproduction: this.reproduction(input, driverPlan),
      compilerVersion: version,
      elapsedMs: performance.now() - started,
    };
  }

  /** The plan in the text form of `renderCraneliftPlan`: `opt_level=none; egraph_pass`. */
  renderPlan(plan: Plan): string {
    return renderCraneliftPlan(plan);
  }

  /** From `opt_level=speed_and_size`, the semantics-preserving steps and size settings (see `craneliftSearchSpace`). */
  searchSpace(catalog: readonly PassOffer[], objective: Objective, maxSteps: number): SearchSpace {
    return craneliftSearchSpace(catalog, objective, maxSteps);
  }

  /**
   * Well-formed: `evaluate` already refused any function whose verifier record was
   * missing or failed. Semantics: the input and its CLIF after the plan's steps and
   * mid-end, run side by side in the driver's sandboxed interpreter (`craneliftSemanticsLayer`);
   * undecided — no function could be compared, or the driver's run failed — the layer's
   * evidence names the functions and why, or the error. Metric: measured from the
   * emitted machine code by `evaluate` itself.
   */
  async verifyEvaluation(evaluation: EvaluationToVerify, _cache: Map<string, unknown>): Promise<Verdict> {
    const { input, plan, objective, measured } = evaluation;
    let semantics: LayerResult;
    try {
      semantics = await craneliftSemanticsLayer(this, input, { plan });
    } catch (err) {
      // The verdict says which layer could not decide and why (the adapter's failure message carries it).
      const { reason } = undecidedUnlessInternal(err);
      semantics = { name: "semantics", ok: false, decided: false, evidence: `undecided: the driver's differential run failed: ${reason ?? String(err)}` };
    }
    const builder = new VerdictBuilder(false);
    builder.add({ name: "well-formed", ok: true, evidence: "Cranelift verifier passed on the input, after every step and on the lowered code (driver record)" });
    builder.add(semantics);
    if (!builder.stopped()) builder.add({ name: "metric", ok: true, evidence: `${objective} ${measured.value} from the emitted machine code, digest ${measured.outputDigest}` });
    return builder.verdict();
  }

  /**
   * Runs function `fn` (its name, CLIF name or `%name`) of `input` on `args` in
   * Cranelift's interpreter before and after `plan` (with `Context::compile`'s
   * pre-lowering pipeline too unless `includeCodegenPipeline` is false) and returns
   * both outcomes and whether they agree. Wasm functions that touch linear memory
   * cannot be interpreted here (status `error`; `compareSemantics` runs them in a
   * sandbox). Throws `invalid_argument` for an
   * unknown function or arguments that do not fit its signature.
   */
  async interpretCompare(
    input: ProblemInput,
    fn: string,
    args: ReadonlyArray<number | string>,
    plan: Plan,
    options: { includeCodegenPipeline?: boolean; fuel?: number; timeoutMs?: number } = {},
  ): Promise<DriverInterpreted> {
    const driverPlan = validateCraneliftPlan(plan, await this.driverCatalog());
    const request = {
      input: driverInput(input),
      function: fn,
      args,
      steps: driverPlan.steps,
      settings: driverPlan.settings,
      include_codegen_pipeline: options.includeCodegenPipeline ?? true,
      ...(options.fuel !== undefined ? { fuel: options.fuel } : {}),
    };
    return this.driver.request("interpret", request, { timeoutMs: options.timeoutMs ?? this.options.timeoutMs ?? 60_000 });
  }

  /**
   * Differential execution of every function of `before` (driver op `differential`,
   * `driver/PROTOCOL.md`): each runs in the driver's sandbox — linear memory with the
   * module's data, a stack pointer at the top, its callees, stubs for common libc
   * imports — on seeded probe arguments, before and after the transform, and the
   * return values or trap, final memory, globals and printed output are compared.
   * AFTER is `before` under `after.plan` (through `Context::optimize`, i.e. the CLIF
   * `evaluate` lowers, unless `includeCodegenPipeline` is false), or the module
   * `after.input` (CLIF or wasm, functions matched by CLIF name). Throws
   * `invalid_argument` for a bad plan or input, `verification_failed` when
   * Cranelift's verifier rejects AFTER.
   */
  async compareSemantics(
    before: ProblemInput,
    after: { plan: Plan } | { input: ProblemInput },
    options: { includeCodegenPipeline?: boolean; probes?: number; seed?: number; fuel?: number; totalFuel?: number; functions?: string[]; timeoutMs?: number } = {},
  ): Promise<DriverDifferential> {
    const transform = "plan" in after
      ? (({ steps, settings }) => ({ steps, settings, include_codegen_pipeline: options.includeCodegenPipeline ?? true }))(validateCraneliftPlan(after.plan, await this.driverCatalog()))
      : { after: driverInput(after.input), include_codegen_pipeline: options.includeCodegenPipeline ?? false };
    const request = {
      input: driverInput(before),
      ...transform,
      ...(options.probes !== undefined ? { probes: options.probes } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.fuel !== undefined ? { fuel: options.fuel } : {}),
      ...(options.totalFuel !== undefined ? { total_fuel: options.totalFuel } : {}),
      ...(options.functions !== undefined ? { functions: options.functions } : {}),
    };
    // Bounded by the request's total fuel (30 M instructions by default, about 10 s).
    return this.driver.request("differential", request, { timeoutMs: options.timeoutMs ?? 300_000 });
  }

  /** Stops the driver process. The toolchain restarts it if used again. */
  close(): Promise<void> {
    return this.driver.close();
  }

  private driverCatalog(): Promise<DriverCatalog> {
    this.catalogPromise ??= this.driver.request("catalog");
    this.catalogPromise.catch(() => (this.catalogPromise = undefined));
    return this.catalogPromise;
  }

  /**
   * The exact driver request, as a shell command: the input's base64 is replaced by
   * a placeholder naming its SHA-256 (the problem digest).
   */
  private reproduction(input: ProblemInput, plan: DriverPlan): string {
    const request = {
      protocol: DRIVER_PROTOCOL,
      op: "compile",
      input: { format: input.format, base64: `<base64 of the input, sha256 ${contentId(input.bytes)}>` },
      steps: plan.steps,
      settings: plan.settings,
    };
    return `echo '${JSON.stringify(request)}' | ${this.driver.path}`;
  }
}

/**
 * The driver refuses a plan the verifier rejects; this also checks that it says so:
 * for every function, a passing verifier run on the input, after each requested step
 * in order, and on the lowered CLIF (`codegen`). Anything else is `internal` (a driver
 * that skipped the verifier must not yield a signal with a passing verdict).
 */
export function checkVerified(compiled: DriverCompiled, steps: readonly string[]): void {
  const expected = ["input", ...steps, "codegen"].join(",");
  for (const f of compiled.functions) {
    const runs = f.verifier ?? [];
    if (!compiled.verified || runs.map((v) => v.step).join(",") !== expected || !runs.every((v) => v.ok)) {
      throw new OpmError("internal", `opm-cranelift-driver verifier record of function \`${f.name}\` is ${JSON.stringify(runs)} (verified ${compiled.verified}); expected a passing run after each of ${expected}`);
    }
  }
}

/** What `prepare` makes of a program: C units to compile and link, or one module file. */
export type CraneliftProgramShape =
  | { kind: "c"; units: SourceFile[] }
  | { kind: "wasm" | "clif"; path: string };

const KIND_TEXT: Readonly<Record<SourceFile["kind"], string>> = { c: "C", "llvm-ir": ".ll", "llvm-bc": ".bc", wasm: ".wasm", clif: ".clif" };

/**
 * What the Cranelift toolchain takes, or `invalid_argument` saying exactly what it
 * does: one or more C files (compiled to wasm32-wasi and linked into one module), or
 * exactly one `.wasm` or `.clif` file (a module already: it is not linked with
 * anything, and libraries do not apply). LLVM IR is the LLVM toolchain's.
 */
export function craneliftProgramShape(program: ProgramSource): CraneliftProgramShape {
  const files = program.files;
  if (files.length === 0) throw new OpmError("invalid_argument", "field `files`: no program file given", { field: "files" });
  const ir = files.find((f) => f.kind === "llvm-ir" || f.kind === "llvm-bc");
  if (ir !== undefined) {
    throw new OpmError("invalid_argument", `field \`files\`: the Cranelift toolchain does not read LLVM IR (\`${ir.path}\`): use --compiler llvm for LLVM IR; Cranelift takes C files, or one .wasm or .clif file`, { field: "files" });
  }
  if (files.every((f) => f.kind === "c")) return { kind: "c", units: files };
  const counts = new Map<string, number>();
  for (const f of files) counts.set(KIND_TEXT[f.kind], (counts.get(KIND_TEXT[f.kind]) ?? 0) + 1);
  const got = [...counts].map(([kind, n]) => `${n} ${kind} file${n === 1 ? "" : "s"}`).join(" and ");
  if (files.length > 1) {
    throw new OpmError("invalid_argument", `field \`files\`: the Cranelift toolchain takes one or more C files (compiled to wasm32-wasi and linked into one module), or exactly one .wasm or .clif file; got ${got}: a .wasm or .clif file is a whole module and is not linked with other files`, { field: "files" });
  }
  const only = files[0]!;
  if (program.libraries.length > 0) {
    throw new OpmError("invalid_argument", `field \`libraries\`: libraries (${program.libraries.map((l) => `\`${l}\``).join(", ")}) apply to C programs only: \`${only.path}\` is a ${KIND_TEXT[only.kind]} module, already compiled`, { field: "libraries" });
  }
  return { kind: only.kind as "wasm" | "clif", path: only.path };
}

function driverInput(input: ProblemInput): DriverInput {
  if (input.format !== "wasm" && input.format !== "clif") {
    throw new OpmError("invalid_argument", `field \`input.format\`: the Cranelift toolchain reads wasm or clif, not \`${input.format}\``, { field: "input.format" });
  }
  return { format: input.format, base64: Buffer.from(input.bytes).toString("base64") };
}

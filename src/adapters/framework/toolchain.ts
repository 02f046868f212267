/**
 * The port every compiler implements. A `Toolchain` wraps one installed compiler
 * (LLVM, GCC, Cranelift) and knows nothing of gRPC, jobs or storage: the shared
 * adapter process (`src/adapters/framework`) turns its catalog into `PassSpec`s,
 * claims jobs and reports signed signals. Plain data only crosses this port.
 *
 * Everything compiler-specific lives behind it: the catalog, the baseline plan and the
 * search moves for each objective (`searchSpace`), the default objective and the
 * verifier layers a signal must carry (`ToolchainDeclaration`), and the verifier.
 */
import type { CompilerKind, InputFormat, Objective, PassOffer, Plan, RunSpec, SearchSpace } from "../../kernel/plan/index.js";
import type { LayerName, Verdict, VerifyRequest } from "../verifier/verdict.js";
import type { ProgramSource } from "./program-source.js";

export interface ToolchainInfo {
  compiler: CompilerKind;
  /** Exact compiler version, e.g. `14.0.6`, `12.2.0`, `0.112.3`. */
  version: string;
  /** Target triple code is generated for. */
  target: string;
  /** Absolute paths of the tools used, by name. */
  tools: Record<string, string>;
}

/** The problem's input as the compiler consumes it. */
export interface ProblemInput {
  /** `llvm-ir` (textual .ll), `llvm-bc`, `c-source`, `c-bundle` (several translation units, see `CBundle`), `wasm`, `clif`. */
  format: InputFormat;
  bytes: Uint8Array;
  /**
   * Libraries the program links against, as `-l` takes them (`m`, `z`), read from the
   * input itself by the toolchain (LLVM: the module's `!llvm.dependent-libraries`; a
   * C bundle: its manifest): every layer that builds the program links them.
   */
  libraries?: readonly string[];
  /** The participant's runs of the program, which the verifier's semantics layer executes. */
  runs?: readonly RunSpec[];
  /** Share of the changed code that must execute in the runs or direct tests (`VerifyRequest.requiredCoverage`); unset: every changed function covered. */
  requiredCoverage?: number;
}

export interface PreparedProblem {
  input: ProblemInput;
  /** SHA-256 of `input.bytes`, lowercase hex. */
  digest: string;
  /** Privacy-safe features (instruction-kind counts, Autophase-style features). */
  features: Record<string, number>;
  /** The compiler's own best default for the objective (`default<Oz>`, `-Os`, `speed_and_size`). */
  baseline: Measurement;
}

export interface Measurement {
  objective: Objective;
  /** The metric value the objective minimises. */
  value: number;
  /** Every metric the evaluation could compute, by objective name. */
  metrics: Partial<Record<Objective, number>>;
  /** The transformed artifact (IR text, object file, CLIF) and its SHA-256 hex. */
  output: Uint8Array;
  outputDigest: string;
  /** The exact command line / plan rendering that reproduces this result. */
  reproduction: string;
  compilerVersion: string;
  elapsedMs: number;
}

export interface Toolchain {
  /** Finds the tools; throws OpmError("tool_missing") naming the package to install. */
  info(): Promise<ToolchainInfo>;
  /** The catalog the installed compiler really offers. */
  catalog(): Promise<PassOffer[]>;
  /**
   * Turns a user's program (several files with their flags and libraries, see
   * `readProgramSource`; or one file's path) into a problem input with features and the
   * baseline. Throws invalid_argument naming what this compiler cannot take.
   */
  prepare(program: ProgramSource | string, objective: Objective): Promise<PreparedProblem>;
  /** Applies `plan` to `input` and measures `objective`. Throws OpmError on failure. */
  evaluate(input: ProblemInput, plan: Plan, objective: Objective, options?: { timeoutMs?: number }): Promise<Measurement>;
  /**
   * Renders a plan as the compiler takes it, so a user can reproduce it by hand: the
   * `opt -passes=` value for LLVM, the option list for GCC, the plan text for Cranelift.
   */
  renderPlan(plan: Plan): string;
  /** The plan as separate command-line arguments, where the compiler takes it so (GCC's options). */
  planArguments?(plan: Plan): string[];
  /**
   * What a search for `objective` may do on this compiler: its own default for the
   * objective as the prefix (`default<Oz>`, `-Os`, `opt_level=speed_and_size`), other
   * whole levels worth trying, and the moves its catalog allows — only moves that keep
   * the program's meaning (no fast-math, no ABI changes).
   */
  searchSpace(catalog: readonly PassOffer[], objective: Objective, maxSteps: number): SearchSpace;
  /**
   * Verifies one evaluation as the adapter that made it, with the layers its
   * declaration requires. Never throws for a transform it cannot decide: the verdict
   * says so. `cache` keeps reference builds of the same input across evaluations.
   */
  verifyEvaluation(evaluation: EvaluationToVerify, cache: Map<string, unknown>): Promise<Verdict>;
  /** Releases what the toolchain holds (a driver process); the toolchain is unusable after. */
  close(): Promise<void>;
}

/** One evaluation the verifier checks: the input, the plan applied to it and what it measured. */
export interface EvaluationToVerify {
  input: ProblemInput;
  plan: Plan;
  objective: Objective;
  measured: Measurement;
}

/** Checks one transform of this compiler's (`opm verify`); `invariants` are those the PassSpec claims. */
export type CompilerVerifier = (request: VerifyRequest, invariants: ReadonlySet<string>) => Promise<Verdict>;

/**
 * What every floor may know of a compiler without running it: one per
 * `src/adapters/<compiler>/`, listed once in `toolchains.ts`. Creating the toolchain
 * and the verifier are loaded lazily, so the registry reads a declaration without
 * loading a compiler driver.
 */
export interface ToolchainDeclaration {
  readonly compiler: CompilerKind;
  /** The compiler's name as people write it in messages (`LLVM`, `GCC`, `Cranelift`). */
  readonly title: string;
  /** The IR dialect contract every PassSpec of this compiler requires (`llvm-ir`, `gnu-c`, `clif`). */
  readonly dialect: string;
  /** The objectives its toolchain measures, the default of `opm optimize` first. */
  readonly objectives: readonly [Objective, ...Objective[]];
  /**
   * Verifier layers a signal's verdict must carry, passing, for the registry to accept
   * it: all four where the program is built and run.
   */
  readonly requiredLayers: readonly LayerName[];
  /** A toolchain on the installed compiler; throws `tool_missing` naming what to install. */
  create(): Promise<Toolchain>;
  /** The verifier alone, for transforms of this compiler. */
  verify: CompilerVerifier;
}

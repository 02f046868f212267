/**
 * The port every compiler implements. A `Toolchain` wraps one installed compiler
 * (LLVM, GCC, Cranelift) and knows nothing of gRPC, jobs or storage: the shared
 * adapter process (`src/adapters/framework`) turns its catalog into `PassSpec`s,
 * claims jobs and reports signed signals. Plain data only crosses this port.
 */

export type CompilerKind = "llvm" | "gcc" | "cranelift";

/** What a problem asks to minimise. */
export type Objective = "ir-instcount" | "text-size" | "code-size";

/** Where in the compiler a pass runs, as the compiler itself organises it. */
export type PassLevel =
  | "module"
  | "cgscc"
  | "function"
  | "loop"
  | "flag" // an on/off option (GCC -f…)
  | "param" // a numeric/enumerated setting (GCC --param, Cranelift settings)
  | "opt-level" // a whole optimisation level (-Os, default<Oz>, opt_level)
  | "step"; // an orderable transform that is not a classic pass (Cranelift Context steps)

export interface PassParameter {
  name: string;
  kind: "bool" | "int" | "enum" | "string";
  /** Inclusive range for `int`. */
  min?: number;
  max?: number;
  /** Allowed values for `enum`. */
  values?: string[];
  default?: string;
}

/** One optimisation the installed compiler offers, spelled as the compiler spells it. */
export interface PassOffer {
  /** e.g. `instcombine`, `loop-unroll`, `-ftree-vectorize`, `max-inline-insns-auto`, `egraph`. */
  name: string;
  level: PassLevel;
  parameters: PassParameter[];
  /** Invariants the pass claims to preserve (`interface`, `cfg`, `semantics`). */
  invariants: string[];
  description?: string;
}

export interface ToolchainInfo {
  compiler: CompilerKind;
  /** Exact compiler version, e.g. `14.0.6`, `12.2.0`, `0.112.3`. */
  version: string;
  /** Target triple code is generated for. */
  target: string;
  /** Absolute paths of the tools used, by name. */
  tools: Record<string, string>;
}

/** One step of a plan: a pass/flag/step name and, for parameters, a value. */
export interface PlanStep {
  pass: string;
  value?: string;
}

export interface Plan {
  steps: PlanStep[];
}

/** The problem's input as the compiler consumes it. */
export interface ProblemInput {
  /** `llvm-ir` (textual .ll), `llvm-bc`, `c-source`, `wasm`, `clif`. */
  format: "llvm-ir" | "llvm-bc" | "c-source" | "wasm" | "clif";
  bytes: Uint8Array;
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
  /** Turns a user's file into a problem input with features and the baseline. */
  prepare(file: string, objective: Objective): Promise<PreparedProblem>;
  /** Applies `plan` to `input` and measures `objective`. Throws OpmError on failure. */
  evaluate(input: ProblemInput, plan: Plan, objective: Objective, options?: { timeoutMs?: number }): Promise<Measurement>;
  /**
   * Renders a plan as the compiler takes it, so a user can reproduce it by hand: the
   * `opt -passes=` value for LLVM, the option list for GCC, the plan text for Cranelift.
   */
  renderPlan(plan: Plan): string;
  /** The plan as separate command-line arguments, where the compiler takes it so (GCC's options). */
  planArguments?(plan: Plan): string[];
}

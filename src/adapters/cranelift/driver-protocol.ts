/**
 * The JSON shapes of `opm-cranelift-driver` protocol 1 (see `driver/PROTOCOL.md`),
 * as far as the TypeScript adapter reads them. Only fields the adapter uses are
 * typed; the driver may send more.
 */

/** The protocol version every request carries. */
export const DRIVER_PROTOCOL = 1;

/** `input` of `lower`, `compile`, `interpret` and `differential` (also its `after`). */
export interface DriverInput {
  format: "wasm" | "clif";
  base64: string;
}

/** A setting value as the driver accepts it. */
export type DriverSettingValue = string | boolean | number;

/** `error` of a failed response. */
export interface DriverErrorBody {
  code: string;
  message: string;
  /** Extra fields by code: `step`, `index`, `setting`, `function`, `verifier`, `field`, `line`. */
  [key: string]: unknown;
}

export interface DriverInfo {
  protocol_version: number;
  target: string;
  compiler: string;
  versions: Record<string, string>;
  driver: { name: string; version: string };
  input_formats: string[];
  ops: string[];
}

export interface DriverStep {
  name: string;
  api: string;
  description: string;
  prerequisites: string[];
  semantics_preserving: boolean;
}

export interface DriverSetting {
  name: string;
  group: "shared" | "x86_64";
  kind: "bool" | "enum" | "num" | "preset";
  description: string;
  /** `[false,true]`, the enumerators, `{min,max}` for nums, `[true]` for presets. */
  allowed: Array<string | boolean> | { min: number; max: number };
  default: string | boolean | number | null;
}

export interface DriverCatalog {
  steps: DriverStep[];
  codegen_pipeline: string[];
  settings: DriverSetting[];
}

export interface DriverLoweredFunction {
  index: number;
  name: string;
  clif_name: string;
  clif: string;
  clif_digest: string;
  inst_count: number;
  block_count: number;
  verifier: { ok: boolean; errors?: string[] };
}

export interface DriverLowered {
  format: string;
  input_digest: string;
  clif_digest: string;
  functions: DriverLoweredFunction[];
}

export interface DriverCompiledFunction {
  name: string;
  clif_name: string;
  code_bytes: number;
  code_digest: string;
  code_base64?: string;
  clif_digest: string;
  inst_count_before: number;
  inst_count_after: number;
  lowered_clif_digest: string;
  lowered_inst_count: number;
  /** With `include_clif`: the CLIF after the requested steps, and the CLIF that was lowered. */
  clif?: string;
  lowered_clif?: string;
  verifier: Array<{ step: string; ok: boolean }>;
}

export interface DriverCompiled {
  format: string;
  steps: string[];
  /** The effective value of every setting, as strings. */
  settings: Record<string, string>;
  verified: boolean;
  functions: DriverCompiledFunction[];
  totals: {
    functions: number;
    code_bytes: number;
    inst_count_before: number;
    inst_count_after: number;
    compile_ms: number;
    input_digest: string;
    output_digest: string;
  };
}

/** One run of a function in `cranelift-interpreter`. */
export type InterpretOutcome =
  | { status: "returned"; values: Array<{ type: string; value: string }> }
  | { status: "trapped"; trap: string }
  | { status: "fuel_exhausted"; fuel: number }
  | { status: "error"; error: string };

export interface DriverInterpreted {
  function: string;
  clif_name: string;
  steps: string[];
  args: Array<{ type: string; value: string }>;
  before: InterpretOutcome;
  after: InterpretOutcome;
  same: boolean;
}

/** How one sandboxed run ended (`differential`), with digests of the state it left. */
export interface SandboxOutcome {
  status: "returned" | "trapped" | "fuel_exhausted" | "unsupported";
  values?: Array<{ type: string; value: string }>;
  trap?: string;
  error?: string;
  fuel_used: number;
  memory_digest?: string;
  globals_digest?: string;
  output_bytes?: number;
  output_digest?: string;
  /** Imports run through the driver's libc stubs. */
  stubs?: string[];
}

/** A probe argument; the `vmctx` one is marked. */
export interface DifferentialArg {
  type: string;
  value: string;
  vmctx?: boolean;
}

/** One pair of runs (BEFORE, AFTER) on one probe argument vector. */
export interface DifferentialRun {
  args: DifferentialArg[];
  status: "same" | "differs" | "not_covered";
  before: SandboxOutcome;
  after?: SandboxOutcome;
  reason?: string;
  differences?: string[];
}

export interface DifferentialFunction {
  name: string;
  clif_name: string;
  /** The name in a clang object's `linking` symbol table. */
  symbol?: string;
  status: "compared" | "differs" | "not_covered";
  compared_runs: number;
  not_covered_runs: number;
  reason?: string;
  difference?: { args: DifferentialArg[]; differences: string[]; before: SandboxOutcome; after: SandboxOutcome };
  runs: DifferentialRun[];
}

/** `differential`: every function before and after a transform, in the driver's sandbox. */
export interface DriverDifferential {
  format: string;
  steps: string[];
  include_codegen_pipeline: boolean;
  /** No function differs. */
  same: boolean;
  sandbox: {
    memory_bytes: number;
    stack_pointer: number;
    data_end: number;
    arena: [number, number];
    globals: number;
    imports: string[];
    skipped_data_segments: number;
    seed: number;
    probes: number;
    fuel: number;
    total_fuel: number;
    stubs: string[];
  };
  totals: {
    functions: number;
    compared_functions: number;
    differing_functions: number;
    not_covered_functions: number;
    compared_runs: number;
    not_covered_runs: number;
    fuel_used: number;
  };
  functions: DifferentialFunction[];
}

/** Response body per op (without `protocol`, `id`, `op`, `ok`). */
export interface DriverResponses {
  info: DriverInfo;
  catalog: DriverCatalog;
  lower: DriverLowered;
  compile: DriverCompiled;
  interpret: DriverInterpreted;
  differential: DriverDifferential;
}

export type DriverOp = keyof DriverResponses;

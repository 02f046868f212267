import type { CompilerKind, Objective, RunSpec } from "../../kernel/plan/index.js";

/** The four layers, in the order they run. */
export const LAYER_NAMES = ["well-formed", "interface", "semantics", "metric"] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

/** Invariants a PassSpec may claim that the verifier knows how to check. */
export const CHECKABLE_INVARIANTS = ["interface", "cfg", "semantics"] as const;
export type Invariant = (typeof CHECKABLE_INVARIANTS)[number];

/**
 * One layer's finding. `ok` is true only when the layer checked and accepted;
 * `decided: false` marks a layer that could not reach a verdict (a reference
 * program with undefined behaviour, a limit hit by the reference itself, nothing
 * the layer could run) — it is never `ok`.
 */
export interface LayerResult {
  name: LayerName;
  ok: boolean;
  /** What was checked and what was found, naming the offending function/global/input. */
  evidence: string;
  /** Present (false) only when the layer could not decide. */
  decided?: false;
}

/**
 * The verifier's answer. `ok` ⇔ every layer ran and accepted. `decided` is false
 * when some layer could not decide and none rejected (then `ok` is false too).
 * `rejectedBy` names the first layer that rejected.
 */
export interface Verdict {
  ok: boolean;
  decided: boolean;
  layers: LayerResult[];
  rejectedBy?: LayerName;
  /** Why the verifier could not decide at all (bad input, missing tool), when it could not. */
  reason?: string;
}

/** Resource limits of one run of a program in the semantics layer. */
export interface RunLimits {
  /** CPU seconds (`prlimit --cpu`); default 10. */
  cpuSeconds?: number;
  /** Address-space bytes (`prlimit --as`); default 1 GiB (UBSan builds need room). */
  memoryBytes?: number;
  /** Largest file the program may write (`prlimit --fsize`) and the stdout/stderr cap; default 16 MiB. */
  outputBytes?: number;
  /** Wall-clock limit per run; default 30 s. */
  wallMs?: number;
}

/** An artifact: its text or bytes, or a path to read it from. */
export type Artifact = { path: string } | { text: string } | { bytes: Uint8Array };

/** What `verifyTransform` checks. */
export interface VerifyRequest {
  compiler: CompilerKind;
  /**
   * The input of the transform. LLVM: textual IR. GCC: the C source. Cranelift:
   * CLIF text.
   */
  before: Artifact;
  /**
   * The transformed artifact the signal is about. LLVM: textual IR. GCC: the object
   * file the plan produced. Cranelift: CLIF text.
   */
  after: Artifact;
  /**
   * C source the BEFORE artifact was compiled from; when given (LLVM), the reference is
   * also built from it with UBSan (UBSan instruments in clang's front end, so it cannot
   * be applied to IR). For GCC the source is `before` itself.
   */
  source?: string;
  /**
   * Where the compiler takes the plan as options (GCC: `-O2 -fno-inline …`), those
   * options: the verifier rebuilds with them (GCC adds `-fchecking`) in layer 1.
   */
  planOptions?: readonly string[];
  /** Libraries the program links against, as `-l` takes them (`m`): every build of BEFORE and AFTER links them. */
  libraries?: readonly string[];
  /** The metric value the signal claims for `objective` (layer 4). */
  claimedMetric?: number;
  /** SHA-256 hex the signal claims for the AFTER artifact (layer 4). */
  claimedOutputDigest?: string;
  /** Objective of `claimedMetric`; default: the compiler's default objective. */
  objective?: Objective;
  /** Invariants the PassSpec claims beyond semantics; `cfg` adds a CFG-shape check to layer 2. */
  claimedInvariants?: readonly string[];
  /**
   * The participant's runs of the program (arguments, stdin, files, environment, outputs
   * compared). None (and no `inputs`): one run with no arguments and empty stdin.
   */
  runs?: readonly RunSpec[];
  /**
   * Input files, shorthand for runs: one run per file with a copy of it in the working
   * directory, its name as `argv[1]` and its bytes on stdin (`runOfInputFile`).
   */
  inputs?: readonly string[];
  /**
   * When set, the semantics layer passes when this share of the changed code executed in
   * the runs or direct tests (LLVM: instructions of changed blocks, by basic block; GCC:
   * bytes of changed functions, by function); unset, it passes when every changed
   * function was entered by a run or tested directly (`judgeCoverage`). Cranelift's
   * semantics layer tests every function directly, so it does not apply there.
   */
  requiredCoverage?: number;
  limits?: RunLimits;
  /** Run every layer even after one rejects (the mutation benchmark wants all evidence). */
  runAllLayers?: boolean;
  /** Reuse reference builds and runs across calls with the same BEFORE (benchmarks). */
  cache?: Map<string, unknown>;
}

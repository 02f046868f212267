export { runVerifier, undecidedUnlessInternal } from "./verify-transform.js";
export { LAYER_NAMES, CHECKABLE_INVARIANTS } from "./verdict.js";
export type { Artifact, Invariant, LayerName, LayerResult, RunLimits, Verdict, VerifyRequest } from "./verdict.js";
export { VerdictBuilder } from "./verdict-builder.js";
export { KNOWN_EXTERNAL_SYMBOLS, isKnownExternal } from "./known-externals.js";
export { runProgram, compareRuns, describeStatus, networkIsolation, DEFAULT_LIMITS } from "./run-program.js";
export type { ProgramRun } from "./run-program.js";
export { metricLayer } from "./metric-layer.js";

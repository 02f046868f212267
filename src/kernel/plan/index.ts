export { INPUT_FORMATS, parsePlanKey, planKey } from "./plan.js";
export type { CompilerKind, InputFormat, Objective, PassLevel, PassOffer, PassParameter, Plan, PlanStep, SearchSpace } from "./plan.js";
export {
  COMPILER_KINDS, OBJECTIVES, compilerName, compilerToProto, levelToProto, objectiveFromProto, objectiveToProto,
  parameterKindToProto, parseCompiler, parseObjective,
  planFromProto, planStepFromProto,
} from "./proto-mapping.js";
export { compareSemver, formatSemver, parseCompilerVersion, parseSemver } from "./semver.js";
export type { Semver } from "./semver.js";
export { DEFAULT_COMPARE, RUN_OUTPUTS, RUN_SET_LIMITS, runSetBytes, runSetDigest, runSetFromBytes, runSetFromProto, runSetToProto, validateRuns } from "./run-spec.js";
export type { RunOutput, RunSpec } from "./run-spec.js";
export { applyPlanEdit, describePlanEdit, headLength, noEvidence, planEditOutsideSpace, planEditProblem } from "./plan-delta.js";
export type { PlanDelta, PlanEdit, PlanEvidence } from "./plan-delta.js";
export { planDeltaFromProto, planDeltaToProto } from "./plan-delta-mapping.js";
export { seededRandom } from "./seeded-random.js";

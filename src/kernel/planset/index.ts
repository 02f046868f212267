// Plan sets, the part both sides of the wire share: the pure builder (a registry node builds
// and signs them; a participant can rebuild one offline), its version and its signature.
export { buildPlanSet, DEFAULT_MAX_PLANS } from "./build-plan-set.js";
export type { PlanSetSignal, PlanSetTarget } from "./build-plan-set.js";
export { planSetVersion, signPlanSet, verifyPlanSet } from "./plan-set-signature.js";
export { RELEASE_BASELINE_BP, releasedMetrics } from "./released-metrics.js";
export { selectPlans, selectPlansSparse } from "./select-plans.js";
export type { ScoreMatrix, SelectOptions, Selected, SparseScores } from "./select-plans.js";

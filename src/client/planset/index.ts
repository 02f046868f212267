export { buildPlanSet, DEFAULT_MAX_PLANS } from "./build-plan-set.js";
export type { PlanSetTarget } from "./build-plan-set.js";
export { planSetVersion, readPlanSetFile, signPlanSet, verifyPlanSet, writePlanSetFile } from "./plan-set-file.js";
export type { PlanSetFile } from "./plan-set-file.js";
export { DEFAULT_NEIGHBOURS, rankPlans } from "./rank-plans.js";
export type { PlanRanking } from "./rank-plans.js";
export { selectPlans } from "./select-plans.js";
export type { ScoreMatrix, Selected } from "./select-plans.js";

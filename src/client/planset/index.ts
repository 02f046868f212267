// The builder, version and signature live in the kernel (the registry node builds plan sets
// too); the client adds ranking for a new problem, files, and loading from a registry.
export { buildPlanSet, DEFAULT_MAX_PLANS, planSetVersion, selectPlans, signPlanSet, verifyPlanSet } from "../../kernel/planset/index.js";
export type { PlanSetSignal, PlanSetTarget, ScoreMatrix, Selected } from "../../kernel/planset/index.js";
export { readPlanSetFile, writePlanSetFile } from "./plan-set-file.js";
export type { PlanSetFile } from "./plan-set-file.js";
export { fitPlanScoreModel, PENALTIES } from "./plan-score-model.js";
export type { PlanScoreModel } from "./plan-score-model.js";
export { DEFAULT_NEIGHBOURS, DEFAULT_RANKING, rankPlans } from "./rank-plans.js";
export type { PlanRanking } from "./rank-plans.js";

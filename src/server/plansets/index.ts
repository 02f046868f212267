// Plan sets on the registry node: built from its accepted signals, signed by its key, stored
// as versions of a chain per compiler version and objective (contract-graph nodes).
export { buildPlanSetRpc, getPlanSetRpc, planSetSigner } from "./plan-set-rpc.js";
export type { PlanSetDeps } from "./plan-set-rpc.js";
export { planSetContractName } from "./plan-set-store.js";
export { MAX_TEACHING_SIGNALS, teachingSignals } from "./teaching-signals.js";

export { jobImplementation, jobMethods } from "./job-service.js";
export { DEFAULT_JOBS_CONFIG, backoffMs } from "./jobs-config.js";
export type { JobsConfig } from "./jobs-config.js";
export { spotCheckKeyOf } from "./spot-check-selection.js";
export type { SpotCheckOptions } from "./spot-checks.js";

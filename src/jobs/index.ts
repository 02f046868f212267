export { jobImplementation, jobMethods } from "./job-service.js";
export { DEFAULT_JOBS_CONFIG, backoffMs } from "./jobs-config.js";
export type { JobsConfig } from "./jobs-config.js";

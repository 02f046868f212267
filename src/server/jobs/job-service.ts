import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { JobService } from "../../gen/openpassmarket/v1/job_service_pb.js";
import type { RegistryDeps } from "../registry/index.js";
import { bindMethods, type HandlerEnv, type MethodImpl } from "../rpc/index.js";
import { cancelJobs } from "./cancel-jobs.js";
import { claimJobs } from "./claim-jobs.js";
import { enqueueJobs } from "./enqueue-jobs.js";
import { getJobs, listJobs } from "./job-queries.js";
import type { JobsConfig } from "./jobs-config.js";
import { reportDiscrepancy } from "./report-discrepancy.js";
import { completeJob, failJob, heartbeat } from "./settle-job.js";
import { SpotChecks, type SpotCheckOptions } from "./spot-checks.js";

type Methods = (typeof JobService)["method"];
type Impl = { [K in keyof Methods]: MethodImpl<Methods[K]["input"], Methods[K]["output"]> };

/** The JobService methods; `spotCheck` keys selection and reaches the ledger (see `SpotChecks`). */
export function jobMethods(deps: RegistryDeps, config: JobsConfig, spotCheck: SpotCheckOptions): Impl {
  const spotChecks = new SpotChecks(config, { keys: deps.keys, ...spotCheck });
  return {
    enqueueJobs: { mutates: true, handle: (ctx, req) => enqueueJobs(ctx, config, req) },
    claimJobs: { mutates: true, handle: (ctx, req) => claimJobs(ctx, deps, config, req, spotChecks) },
    heartbeat: { mutates: true, handle: (ctx, req) => heartbeat(ctx, deps, config, req) },
    completeJob: { mutates: true, handle: (ctx, req) => completeJob(ctx, deps, req, spotChecks) },
    failJob: { mutates: true, handle: (ctx, req) => failJob(ctx, config, req, spotChecks) },
    getJobs: { mutates: false, handle: getJobs },
    listJobs: { mutates: false, handle: listJobs },
    reportDiscrepancy: { mutates: true, handle: (ctx, req) => reportDiscrepancy(ctx, spotChecks, req) },
    cancelJobs: { mutates: true, handle: cancelJobs },
  };
}

/** JobService bound to the shared handler machinery. */
export function jobImplementation(deps: RegistryDeps, config: JobsConfig, spotCheck: SpotCheckOptions, env: HandlerEnv): UntypedServiceImplementation {
  return bindMethods(JobService, jobMethods(deps, config, spotCheck) as never, env);
}

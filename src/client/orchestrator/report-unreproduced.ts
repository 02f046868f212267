import { JobService } from "../../gen/openpassmarket/v1/job_service_pb.js";
import type { Logger } from "../../kernel/logger/index.js";
import type { RpcClient } from "../../kernel/wire/index.js";
import type { Unreproduced } from "./corroborate-best.js";

/**
 * Hands each result the participant could not reproduce to the registry as evidence
 * (`ReportDiscrepancy`): the registry holds the job's signal provisional and has another
 * adapter re-run the job — a spot check that quarantines the adapter if it confirms the
 * lie. Returns the entries with the check job each report got (`checkJobId`). A report
 * that fails is logged and left out (`checkJobId` stays ""), never fatal: the reported
 * best stands on the participant's own measurement either way.
 */
export async function reportUnreproduced(jobs: RpcClient<(typeof JobService)["method"]>, unreproduced: readonly Unreproduced[], log: Logger): Promise<Unreproduced[]> {
  const out: Unreproduced[] = [];
  for (const u of unreproduced) {
    if (u.jobId === "" || u.signalId === "") {
      out.push(u);
      continue;
    }
    try {
      const r = await jobs.reportDiscrepancy({ jobId: u.jobId, signalId: u.signalId, reproduced: u.measured, reproducedOutputDigest: u.outputDigest });
      log.info("reported a result that did not reproduce", { job: u.jobId, adapter: u.adapter, checkJob: r.checkJobId, newCheck: r.checkQueued });
      out.push({ ...u, checkJobId: r.checkJobId });
    } catch (err) {
      log.warn("could not report a result that did not reproduce", { job: u.jobId, adapter: u.adapter, error: err instanceof Error ? err.message : String(err) });
      out.push(u);
    }
  }
  return out;
}

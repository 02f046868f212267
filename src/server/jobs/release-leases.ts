import { JobState } from "../../gen/openpassmarket/v1/job_service_pb.js";
import type { CallContext } from "../rpc/index.js";
import { appendError, stateText } from "./job-repository.js";

/**
 * Puts every job `adapter` holds a lease on back in the queue at once, available now,
 * each with a `lease_released` error naming `why`: a quarantined or revoked adapter
 * must not keep jobs (or the spot checks it was asked to run) waiting for its lease to
 * run out. Returns how many jobs were released.
 */
export async function releaseLeasesOf(ctx: CallContext, adapter: string, why: string): Promise<number> {
  const held = await ctx.db.selectFrom("jobs").selectAll()
    .where("state", "=", stateText(JobState.LEASED)).where("claimed_by", "=", adapter)
    .orderBy("id").forUpdate().execute();
  for (const row of held) {
    const errors = appendError(row, {
      attempt: row.attempts, adapter, code: "lease_released", message: `lease released: ${why}`, detail: "", atMs: BigInt(ctx.now),
    });
    await ctx.db.updateTable("jobs").set({
      state: stateText(JobState.QUEUED), claim_token: "", lease_expires_at_ms: 0, available_at_ms: ctx.now, errors, updated_at_ms: ctx.now,
    }).where("id", "=", row.id).execute();
  }
  if (held.length > 0) await ctx.audit("jobs.release", adapter, `${held.length} job(s) released: ${why}: ${held.map((r) => r.id).join(" ")}`.slice(0, 2000));
  return held.length;
}

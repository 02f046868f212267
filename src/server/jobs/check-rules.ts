import { fromBinary } from "@bufbuild/protobuf";
import { JobState } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { PerformanceSignalSchema, SignalStatus } from "../../gen/openpassmarket/v1/signal_pb.js";
import { signalStatusText } from "../registry/index.js";
import type { CallContext } from "../rpc/index.js";
import type { JobsConfig } from "./jobs-config.js";
import { stateText, type JobRow } from "./job-repository.js";
import { isSpotChecked } from "./spot-check-selection.js";

/** Signal ids whose achieved metric is remembered; signals are immutable, so dropping them all is only a cache miss. */
const MAX_REMEMBERED = 200_000;

/**
 * Which completed jobs on public problems are spot-checked, and why. Three rules, any one
 * suffices:
 *  1. **sampled** — the keyed sample at `spotCheckFraction` (`isSpotChecked`);
 *  2. **new adapter** — one of the adapter's first `newAdapterChecks` completions on public
 *     problems: trust is earned, and an adapter lying from its first job is caught at once;
 *  3. **new best** (`checkNewBest`) — a metric strictly below every *accepted* result of the
 *     problem's jobs (or the problem's first result): a lie pays only when it becomes the
 *     best result a participant sees, so every result that would become one is checked.
 *     Provisional results do not count as the best to beat — they may yet be refused —
 *     and neither do SubmitSignal results outside the job queue, which no search reads: a
 *     made-up low claim there must not exempt job results from this rule. A tie with the
 *     best is not a new best (the earlier result stays first).
 * The first rule alone lets a liar that lies rarely stay unnoticed (at 0.05, six lies in
 * sixty jobs go unchecked three times in four); with the third, every lie that would win
 * is checked, so lying only pays where it changes nothing anyone is shown.
 */
export class CheckRules {
  /** Adapters known to have more than `newAdapterChecks` completions: a count that never goes down. */
  private readonly experienced = new Set<string>();
  /** Achieved metric by signal id (content-addressed, so never stale). */
  private readonly achievedOf = new Map<string, number>();

  constructor(private readonly config: JobsConfig, private readonly key: Uint8Array) {}

  /**
   * Why job `row` (just completed by its claimer with metric `achieved`, an ordinary job on
   * a public problem) must be checked, in words for the audit log; undefined when it need not be.
   */
  async reasonToCheck(ctx: CallContext, row: JobRow, achieved: number): Promise<string | undefined> {
    if (isSpotChecked(this.key, row.id, this.config.spotCheckFraction)) return `sampled at fraction ${this.config.spotCheckFraction}`;
    const completions = await this.completionsOf(ctx, row.claimed_by);
    if (completions <= this.config.newAdapterChecks) {
      return `completion ${completions} of ${row.claimed_by}'s first ${this.config.newAdapterChecks} on public problems`;
    }
    if (!this.config.checkNewBest) return undefined;
    const best = await this.bestAcceptedOf(ctx, row);
    if (best === undefined) return `the first accepted result of problem ${row.problem_id} would be ${achieved}`;
    if (achieved < best) return `achieved ${achieved} would become the best of problem ${row.problem_id} (best accepted so far ${best})`;
    return undefined;
  }

  /**
   * How many jobs on public problems `adapter` has completed, this one included, counted
   * up to `newAdapterChecks + 1` (beyond that the exact number does not matter).
   */
  private async completionsOf(ctx: CallContext, adapter: string): Promise<number> {
    const n = this.config.newAdapterChecks;
    if (n <= 0 || this.experienced.has(adapter)) return Number.POSITIVE_INFINITY;
    const rows = await ctx.db.selectFrom("jobs").select("id")
      .where("claimed_by", "=", adapter).where("state", "=", stateText(JobState.SUCCEEDED)).where("owner", "=", "")
      .limit(n + 1).execute();
    // Remembered only once committed: a rolled-back completion must not count.
    if (rows.length > n) ctx.afterCommit(() => this.experienced.add(adapter));
    return rows.length;
  }

  /** The smallest achieved metric among the accepted signals of `row`'s problem's other jobs; undefined when there is none. */
  private async bestAcceptedOf(ctx: CallContext, row: JobRow): Promise<number | undefined> {
    const accepted = await ctx.db.selectFrom("jobs").innerJoin("signals", "signals.id", "jobs.signal_id").select("signals.id")
      .where("jobs.problem_id", "=", row.problem_id).where("jobs.state", "=", stateText(JobState.SUCCEEDED)).where("jobs.id", "<>", row.id)
      .where("signals.status", "=", signalStatusText(SignalStatus.ACCEPTED)).execute();
    let best: number | undefined;
    const consider = (a: number) => { if (best === undefined || a < best) best = a; };
    const missing: string[] = [];
    for (const { id } of accepted) {
      const a = this.achievedOf.get(id);
      if (a === undefined) missing.push(id);
      else consider(a);
    }
    for (let i = 0; i < missing.length; i += 500) {
      const bodies = await ctx.db.selectFrom("signals").select(["id", "body"]).where("id", "in", missing.slice(i, i + 500)).execute();
      if (this.achievedOf.size + bodies.length > MAX_REMEMBERED) this.achievedOf.clear();
      for (const b of bodies) {
        const a = fromBinary(PerformanceSignalSchema, b.body).achieved;
        this.achievedOf.set(b.id, a);
        consider(a);
      }
    }
    return best;
  }
}

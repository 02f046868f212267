import { fromBinary } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import { OpmError } from "../../kernel/errors/index.js";
import { JobState } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { PerformanceSignalSchema, SignalStatus } from "../../gen/openpassmarket/v1/signal_pb.js";
import { quarantineAdapter, setSignalStatus, type QuarantineDeps, type RevocationProposer } from "../registry/index.js";
import type { CallContext } from "../rpc/index.js";
import { CheckRules } from "./check-rules.js";
import type { JobsConfig } from "./jobs-config.js";
import { errorsOf, stateText, type JobRow } from "./job-repository.js";
import { claimOf, describeOutcome, judgeSpotCheck, type CheckOutcome } from "./judge-spot-check.js";
import { releaseLeasesOf } from "./release-leases.js";

/** What spot checks need from the node besides the queue's config. */
export interface SpotCheckOptions {
  /** The secret that keys selection (`spotCheckKeyOf` the node's log key). */
  key: Uint8Array;
  /** Proposes the revocation of a quarantined adapter on the node's ledger. */
  revocations?: RevocationProposer;
}

/**
 * Spot checks: catching adapters that report results their compiler did not produce.
 * A selected job (public problems only; `CheckRules`: the keyed sample, an adapter's first
 * completions, a result that would become its problem's best), or one whose owner reports
 * that it did not reproduce (`reportDiscrepancy`), keeps its signal PROVISIONAL and
 * gets a check job — same problem, same plan — that the adapter which answered may not
 * claim. Plans are deterministic, so an honest check reproduces the output digest and
 * metrics exactly: agreement makes both signals ACCEPTED; a difference gets a tie-break
 * job that neither of the two may claim, and the majority decides (`judgeSpotCheck`):
 * the minority's signal is REFUSED and its adapter quarantined, with an audit event
 * naming the evidence and a revocation proposal for the governors. Everything happens in
 * the transaction of the CompleteJob that brought the deciding answer. While no eligible
 * adapter exists, check jobs simply wait in the queue; one that is dead-lettered leaves
 * the signals it checks provisional.
 */
export class SpotChecks {
  private readonly rules: CheckRules;

  constructor(private readonly config: JobsConfig, private readonly deps: QuarantineDeps & SpotCheckOptions) {
    const f = config.spotCheckFraction;
    if (!(f >= 0 && f <= 1)) throw new OpmError("invalid_argument", `spot-check fraction ${f} is not in [0, 1]`);
    const n = config.newAdapterChecks;
    if (!(Number.isInteger(n) && n >= 0)) throw new OpmError("invalid_argument", `new-adapter checks ${n} is not a whole number >= 0`);
    this.rules = new CheckRules(config, deps.key);
  }

  /** Runs in CompleteJob's transaction once job `row` has succeeded with signal `signalId`, which reports `achieved`. */
  async afterCompletion(ctx: CallContext, row: JobRow, signalId: string, achieved: number): Promise<void> {
    if (row.check_of !== "") return this.judge(ctx, row.check_of, signalId);
    // Private IR never goes to another participant's adapter: only public problems are checked.
    if (row.owner !== "") return;
    const reason = await this.rules.reasonToCheck(ctx, row, achieved);
    if (reason !== undefined) await this.holdForCheck(ctx, row, [row.claimed_by], reason);
  }

  /**
   * Holds the signal of succeeded job `row` PROVISIONAL and queues its check, which the
   * adapters in `excluded` (the one that answered first) may not claim; audits `reason`.
   * Returns the check job's id.
   */
  async holdForCheck(ctx: CallContext, row: JobRow, excluded: string[], reason: string): Promise<string> {
    await setSignalStatus(ctx.db, [row.signal_id], SignalStatus.PROVISIONAL);
    const checkId = await this.enqueueCheck(ctx, row, excluded);
    await ctx.audit("spot_check.select", row.id, `signal ${row.signal_id} by ${row.claimed_by} is provisional until check job ${checkId} by another adapter (${reason})`);
    return checkId;
  }

  /**
   * Runs in the transaction that dead-letters job `row` (FailJob, or a claim finding its
   * last lease expired); only check jobs matter. A check whose adapter's verifier refused
   * the plan's output (`verification_failed`) is an answer — "this transform is wrong" —
   * and is judged like one; other failures leave the check unanswered (its signals stay
   * provisional).
   */
  async afterDeadLetter(ctx: CallContext, row: JobRow, code: string): Promise<void> {
    if (row.check_of === "") return;
    if (code === "verification_failed") return this.judge(ctx, row.check_of);
    await ctx.audit("spot_check.unanswered", row.check_of, `check job ${row.id} failed for good (${code}); the signals it checks stay provisional`);
  }

  /** Judges the answers to job `originalId` now that another answer arrived (`signalId`: a check's signal). */
  private async judge(ctx: CallContext, originalId: string, signalId?: string): Promise<void> {
    if (signalId !== undefined) await setSignalStatus(ctx.db, [signalId], SignalStatus.PROVISIONAL);
    const jobs = await ctx.db.selectFrom("jobs").selectAll()
      .where((eb) => eb.or([eb("id", "=", originalId), eb("check_of", "=", originalId)]))
      .orderBy("created_at_ms").orderBy("id").forUpdate().execute();
    const original = jobs.find((j) => j.id === originalId);
    if (original === undefined) throw new OpmError("internal", `check of unknown job ${originalId}`);
    const answered = [original, ...jobs.filter((j) => j.id !== originalId)];
    if (answered.some((j) => j.state !== stateText(JobState.SUCCEEDED) && !isRejection(j))) return;
    const outcomes = await outcomesOf(ctx, answered);
    const judgement = judgeSpotCheck(outcomes);
    const evidence = outcomes.map(describeOutcome).join("; ");
    switch (judgement.kind) {
      case "agreed":
        await setSignalStatus(ctx.db, signalsOf(outcomes), SignalStatus.ACCEPTED);
        await ctx.audit("spot_check.agree", originalId, evidence);
        return;
      case "tie_break": {
        // Whoever may not check the original may not break the tie either (see `reportDiscrepancy`).
        const excluded = [...new Set([...outcomes.map((o) => o.adapter), ...jobs.flatMap((j) => j.excluded_adapters)])];
        const tieBreak = await this.enqueueCheck(ctx, original, excluded);
        await ctx.audit("spot_check.disagree", originalId, `tie-break job ${tieBreak}: ${evidence}`);
        return;
      }
      case "majority": {
        const { accepted, refused } = judgement;
        const truth = accepted[0]!;
        await setSignalStatus(ctx.db, signalsOf(accepted), SignalStatus.ACCEPTED);
        await setSignalStatus(ctx.db, signalsOf([refused]), SignalStatus.REFUSED);
        await ctx.audit("spot_check.decide", originalId, `refused ${refused.adapter}: ${evidence}`);
        const minority = `minority in the spot check of job ${originalId}: ${describeOutcome(refused)}; majority: ${accepted.map(describeOutcome).join("; ")}`;
        const reason = `spot check of job ${originalId}: ${refused.adapter} reported ${claimOf(refused)}; ` +
          `${accepted.map((o) => o.adapter).join(" and ")} both found ${claimOf(truth)}`;
        if (await quarantineAdapter(ctx, this.deps, refused.adapter, minority, reason)) {
          await releaseLeasesOf(ctx, refused.adapter, `${refused.adapter} was quarantined by the spot check of job ${originalId}`);
        }
        return;
      }
      case "split":
        await setSignalStatus(ctx.db, signalsOf(outcomes), SignalStatus.REFUSED);
        await ctx.audit("spot_check.split", originalId, `three different answers, all refused, nobody quarantined: ${evidence}`);
        return;
    }
  }

  /** Queues a re-run of `original` that the adapters in `excluded` may not claim. */
  private async enqueueCheck(ctx: CallContext, original: JobRow, excluded: string[]): Promise<string> {
    const id = randomUUID();
    await ctx.db.insertInto("jobs").values({
      id, problem_id: original.problem_id, plan: original.plan, compiler: original.compiler, compiler_version: original.compiler_version,
      objective: original.objective, ir_digest: original.ir_digest, ir_format: original.ir_format, owner: original.owner,
      state: stateText(JobState.QUEUED), attempts: 0, max_attempts: this.config.defaultMaxAttempts, available_at_ms: ctx.now,
      lease_expires_at_ms: 0, claimed_by: "", claim_token: "", errors: "[]", signal_id: "", created_at_ms: ctx.now, updated_at_ms: ctx.now,
      check_of: original.id, excluded_adapters: excluded,
    }).execute();
    return id;
  }
}

/** A check job dead-lettered because its adapter's verifier rejected the plan's output. */
function isRejection(job: JobRow): boolean {
  return job.state === stateText(JobState.DEAD) && job.check_of !== "" && lastError(job)?.code === "verification_failed";
}

const lastError = (job: JobRow) => errorsOf(job).at(-1);

/** The stored signals among `outcomes` (a rejection has none). */
const signalsOf = (outcomes: CheckOutcome[]): string[] => outcomes.filter((o) => o.rejected === undefined).map((o) => o.signalId);

/** The answers of `jobs` (succeeded, or rejections), read from their signals and errors, in the same order. */
async function outcomesOf(ctx: CallContext, jobs: JobRow[]): Promise<CheckOutcome[]> {
  const signalIds = jobs.filter((j) => !isRejection(j)).map((j) => j.signal_id);
  const rows = signalIds.length === 0 ? [] : await ctx.db.selectFrom("signals").select(["id", "body"]).where("id", "in", signalIds).execute();
  const byId = new Map(rows.map((r) => [r.id, fromBinary(PerformanceSignalSchema, r.body)]));
  return jobs.map((j) => {
    if (isRejection(j)) {
      const e = lastError(j)!;
      return { jobId: j.id, adapter: e.adapter || j.claimed_by, signalId: "", outputDigest: "", achieved: Number.NaN, baseline: Number.NaN, rejected: e.message.slice(0, 300) };
    }
    const s = byId.get(j.signal_id);
    if (s === undefined) throw new OpmError("internal", `job ${j.id} succeeded with signal ${j.signal_id}, which is not stored`);
    return { jobId: j.id, adapter: s.adapter, signalId: j.signal_id, outputDigest: s.outputDigest, achieved: s.achieved, baseline: s.baseline };
  });
}

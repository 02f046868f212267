import { fromBinary } from "@bufbuild/protobuf";
import { CampaignSchema, type Campaign } from "../../gen/openpassmarket/v1/campaign_pb.js";
import { PassSpecSchema, type PassSpec } from "../../gen/openpassmarket/v1/contracts_pb.js";
import { PlanSchema } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { PlanSetSchema, type PlanSet } from "../../gen/openpassmarket/v1/planset_pb.js";
import { LocalProblemSchema, type LocalProblem } from "../../gen/openpassmarket/v1/problem_pb.js";
import { PerformanceSignalSchema, type PerformanceSignal } from "../../gen/openpassmarket/v1/signal_pb.js";
import { ContractRecordSchema, JobOutcomeSchema, SignalStatusRecordSchema, type JobOutcome } from "../../gen/openpassmarket/v1/sync_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import { planFromProto, planKey, type Plan } from "../../kernel/plan/index.js";
import { planSetVersion } from "../../kernel/planset/index.js";
import type { DeltaState } from "../../ledger/index.js";

/** One recorded evaluation of a plan on a problem: its metric, or undefined when it failed (or its signal was refused). */
export interface RecordedEvaluation {
  plan: Plan;
  value: number | undefined;
}

/** A signal as the log holds it, with its last status there (`accepted`, `provisional`, `refused`). */
export interface RecordedSignal {
  signalId: string;
  signal: PerformanceSignal;
  status: string;
}

/**
 * What a verified delta log recorded, decoded for backtests: problems (a public one as
 * stored, a private one as features and digests only), signals and their statuses (public
 * problems only), finished jobs, plan sets (contract nodes of kind `plan-set`), PassSpecs
 * and campaigns. Built from `replayDeltaExport`'s state, so everything here verified.
 */
export class RecordedLog {
  readonly problems = new Map<string, LocalProblem>();
  readonly signals = new Map<string, RecordedSignal>();
  readonly outcomes = new Map<string, JobOutcome>();
  readonly planSets = new Map<string, PlanSet>();
  readonly passSpecs: PassSpec[] = [];
  readonly campaigns: Campaign[] = [];

  /** Decodes every value of `state`; throws malformed_message naming the first that does not decode. */
  constructor(state: DeltaState) {
    const decode = <T>(kind: string, key: string, read: () => T): T => {
      try {
        return read();
      } catch (err) {
        throw new OpmError("malformed_message", `delta log: ${kind} ${key} does not decode: ${(err as Error).message}`, { cause: err });
      }
    };
    for (const v of state.ofKind("problem")) this.problems.set(v.key, decode("problem", v.key, () => fromBinary(LocalProblemSchema, v.value)));
    const statuses = new Map(state.ofKind("signal_status").map((v) => [v.key, decode("signal_status", v.key, () => fromBinary(SignalStatusRecordSchema, v.value)).status]));
    for (const v of state.ofKind("signal")) {
      this.signals.set(v.key, { signalId: v.key, signal: decode("signal", v.key, () => fromBinary(PerformanceSignalSchema, v.value)), status: statuses.get(v.key) ?? "accepted" });
    }
    for (const v of state.ofKind("job_outcome")) this.outcomes.set(v.key, decode("job_outcome", v.key, () => fromBinary(JobOutcomeSchema, v.value)));
    for (const v of state.ofKind("contract")) {
      const record = decode("contract", v.key, () => fromBinary(ContractRecordSchema, v.value));
      if (record.kind === "pass-spec") this.passSpecs.push(decode("contract", v.key, () => fromBinary(PassSpecSchema, record.body)));
      if (record.kind === "plan-set") {
        const set = decode("contract", v.key, () => fromBinary(PlanSetSchema, record.body));
        this.planSets.set(planSetVersion(set), set);
      }
    }
    for (const v of state.ofKind("campaign")) this.campaigns.push(decode("campaign", v.key, () => fromBinary(CampaignSchema, v.value)));
  }

  /** The plan a finished job evaluated. */
  planOf(outcome: JobOutcome): Plan {
    const plan = fromBinary(PlanSchema, outcome.plan);
    return planFromProto(plan.steps);
  }

  /**
   * What the search history would hold for one finished job, as `runSearch` reads it: the
   * achieved metric of its signal, undefined when it died or its signal was refused.
   * Undefined (no entry) when the log does not hold the job's outcome or its signal.
   */
  evaluationOfJob(jobId: string): RecordedEvaluation | undefined {
    const outcome = this.outcomes.get(jobId);
    if (outcome === undefined) return undefined;
    const plan = this.planOf(outcome);
    if (outcome.state !== "succeeded") return { plan, value: undefined };
    const signal = this.signals.get(outcome.signalId);
    if (signal === undefined) return undefined;
    return { plan, value: signal.status === "refused" ? undefined : signal.signal.achieved };
  }

  /**
   * Every plan recorded on `problemId`, by `planKey`: its best achieved metric over the
   * signals not refused, or undefined when it was evaluated and only failed.
   */
  evaluationsOf(problemId: string): Map<string, RecordedEvaluation> {
    const out = new Map<string, RecordedEvaluation>();
    for (const outcome of this.outcomes.values()) {
      if (outcome.problemId !== problemId) continue;
      const plan = this.planOf(outcome);
      if (!out.has(planKey(plan))) out.set(planKey(plan), { plan, value: undefined });
    }
    for (const s of this.signals.values()) {
      if (s.signal.problemId !== problemId || s.status === "refused") continue;
      const plan: Plan = planFromProto(s.signal.pipeline);
      const held = out.get(planKey(plan));
      if (held?.value === undefined || s.signal.achieved < held.value) out.set(planKey(plan), { plan, value: s.signal.achieved });
    }
    return out;
  }
}

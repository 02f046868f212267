import { create, fromBinary } from "@bufbuild/protobuf";
import { OpmError } from "../../kernel/errors/index.js";
import { compilerName, objectiveFromProto } from "../../kernel/plan/index.js";
import type { LocalProblem } from "../../gen/openpassmarket/v1/problem_pb.js";
import { Visibility } from "../../gen/openpassmarket/v1/problem_pb.js";
import { PrivacyBudgetStatusSchema, ReleaseSchema, type PrivacyBudgetStatus, type Release } from "../../gen/openpassmarket/v1/privacy_pb.js";
import {
  GetPrivacyBudgetResponseSchema, ListReleasesResponseSchema, ReleaseResultResponseSchema,
  type GetPrivacyBudgetRequest, type GetPrivacyBudgetResponse, type ListReleasesRequest, type ListReleasesResponse,
  type ReleaseResultRequest, type ReleaseResultResponse,
} from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { PerformanceSignalSchema, SignalStatus } from "../../gen/openpassmarket/v1/signal_pb.js";
import type { GovernanceState } from "../../ledger/index.js";
import { describeMechanism, remainingOf, requireFamily, type PrivacyBudget } from "../../privacy/index.js";
import { loadProblem } from "../registry/problems.js";
import { signalStatusOf } from "../registry/signal-status.js";
import { requireDigest } from "../registry/validate.js";
import type { CallContext } from "../rpc/index.js";
import { chargeAndRelease } from "./budget-store.js";
import { listReleases, readPrivacyBudget, type PrivacyRelease } from "./privacy-repository.js";
import { describePolicy, mechanismOf, periodStartOf, releasePolicyFor, type ReleasePolicy } from "./release-policy.js";

/** Where the registry reads the privacy policy in effect: the committed governance ledger state. */
export interface ReleasePolicies {
  policyFor(ctx: CallContext, family: string): Promise<ReleasePolicy>;
}

/** Policies from the committed ledger state `stateOf` gives (a new entry takes effect at the next call). */
export function ledgerReleasePolicies(stateOf: (ctx: CallContext) => Promise<GovernanceState>): ReleasePolicies {
  return { policyFor: async (ctx, family) => releasePolicyFor(await stateOf(ctx), family) };
}

/** `llvm/ir-instcount`: the problem family a problem's budget is kept for. */
export function familyOf(problem: Pick<LocalProblem, "compiler" | "objective">): string {
  return `${compilerName(problem.compiler)}/${objectiveFromProto(problem.objective)}`;
}

/**
 * The improvement of `achieved` over `baseline` in basis points, rounded to the nearest:
 * 10000·(baseline − achieved)/baseline. Requires baseline > 0.
 */
export function improvementBp(baseline: number, achieved: number): bigint {
  return BigInt(Math.round((10_000 * (baseline - achieved)) / baseline));
}

/**
 * ReleaseResult: releases the improvement of an accepted signal on a private problem under
 * the policy in effect for its family, charged to the owner's budget (see `chargeAndRelease`:
 * once per signal, RESOURCE_EXHAUSTED naming the budget when it cannot pay, nothing written
 * then). The access table has checked that the caller is a `lead` of the owner.
 */
export async function releaseResult(ctx: CallContext, policies: ReleasePolicies, req: ReleaseResultRequest): Promise<ReleaseResultResponse> {
  const problem = await loadProblem(ctx, req.problemId, "problem_id");
  requireDigest(req.signalId, "signal_id");
  if (problem.visibility !== Visibility.PRIVATE) {
    throw new OpmError("failed_precondition", `problem ${req.problemId} is public: its signals are served exactly, there is nothing to release`, { field: "problem_id" });
  }
  const row = await ctx.db.selectFrom("signals").select(["body", "status", "problem_id"]).where("id", "=", req.signalId).executeTakeFirst();
  if (row === undefined || row.problem_id !== req.problemId) {
    throw new OpmError("not_found", `field \`signal_id\`: no signal ${req.signalId} on problem ${req.problemId}`, { field: "signal_id" });
  }
  if (signalStatusOf(row.status) !== SignalStatus.ACCEPTED) {
    throw new OpmError("failed_precondition", `field \`signal_id\`: signal ${req.signalId} is ${SignalStatus[signalStatusOf(row.status)].toLowerCase()}; only accepted results are released`, { field: "signal_id" });
  }
  const signal = fromBinary(PerformanceSignalSchema, row.body);
  if (!(signal.baseline > 0)) throw new OpmError("failed_precondition", `signal ${req.signalId} has baseline ${signal.baseline}; an improvement needs a baseline > 0`);
  const family = requireFamily(familyOf(problem));
  const policy = await policies.policyFor(ctx, family);
  const outcome = await chargeAndRelease(ctx, {
    participant: problem.participant, family, subject: req.signalId, quantity: policy.quantity,
    value: improvementBp(signal.baseline, signal.achieved), clamp: policy.clamp, mechanism: mechanismOf(policy),
    terms: { accountant: policy.accountant, total: policy.total }, periodStartMs: periodStartOf(policy, ctx.now),
  });
  return create(ReleaseResultResponseSchema, {
    release: releaseToProto(outcome.release, req.problemId), charged: outcome.charged,
    budget: await budgetToProto(ctx, outcome.budget, policy),
  });
}

/** ListReleases: releases, oldest first, of one problem and/or participant. */
export async function listReleasesRpc(ctx: CallContext, req: ListReleasesRequest): Promise<ListReleasesResponse> {
  const subjects = await releasedSubjects(ctx, req.problemId);
  const releases = await listReleases(ctx.db, req.participant === "" ? {} : { participant: req.participant });
  return create(ListReleasesResponseSchema, {
    releases: releases.flatMap((r) => {
      const problemId = subjects.get(r.subject);
      return problemId === undefined ? [] : [releaseToProto(r, problemId)];
    }),
  });
}

/** GetPrivacyBudget: the organisation's budgets (each family, or one) with the policy in effect. */
export async function getPrivacyBudget(ctx: CallContext, policies: ReleasePolicies, req: GetPrivacyBudgetRequest): Promise<GetPrivacyBudgetResponse> {
  const participant = req.participant === "" ? ctx.actor : req.participant;
  if (req.family !== "") requireFamily(req.family, "family");
  let q = ctx.db.selectFrom("privacy_budgets").select("family").where("participant", "=", participant);
  if (req.family !== "") q = q.where("family", "=", req.family);
  const families = (await q.orderBy("family").execute()).map((r) => r.family);
  const budgets: PrivacyBudgetStatus[] = [];
  for (const family of families) {
    const policy = await policies.policyFor(ctx, family);
    // As a release now would see it: a new refresh period shows nothing spent yet.
    const budget = await readPrivacyBudget(ctx.db, { participant, family }, periodStartOf(policy, ctx.now));
    if (budget !== undefined) budgets.push(await budgetToProto(ctx, budget, policy));
  }
  if (req.family !== "" && budgets.length === 0) {
    const policy = await policies.policyFor(ctx, req.family);
    budgets.push(await budgetToProto(ctx, { participant, family: req.family, accountant: policy.accountant, total: policy.total, spent: 0n }, policy));
  }
  const policy = await policies.policyFor(ctx, req.family === "" ? "*" : req.family);
  return create(GetPrivacyBudgetResponseSchema, { budgets, policy: describePolicy(policy) });
}

/** A stored release as the wire message. */
export function releaseToProto(r: PrivacyRelease, problemId: string): Release {
  return create(ReleaseSchema, {
    subject: r.subject, quantity: r.quantity, problemId, participant: r.participant, family: r.family, value: r.value,
    clampMin: r.clamp.min, clampMax: r.clamp.max, mechanism: describeMechanism(r.mechanism), accountant: r.accountant,
    costNano: r.cost, releasedBy: r.releasedBy, releasedAtMs: BigInt(r.releasedAtMs),
  });
}

async function budgetToProto(ctx: CallContext, b: PrivacyBudget, policy: ReleasePolicy): Promise<PrivacyBudgetStatus> {
  const count = await ctx.db.selectFrom("privacy_releases").select((eb) => eb.fn.countAll<string>().as("n"))
    .where("participant", "=", b.participant).where("family", "=", b.family).executeTakeFirst();
  // The policy in effect decides the total (a policy change takes effect at once).
  const budget = { ...b, total: policy.total };
  return create(PrivacyBudgetStatusSchema, {
    participant: b.participant, family: b.family, accountant: b.accountant, totalNano: budget.total, spentNano: b.spent,
    remainingNano: remainingOf(budget), policy: policy.source, releases: Number(count?.n ?? 0),
  });
}

/** signal id → problem id of the released signals (of one problem when `problemId` is set). */
async function releasedSubjects(ctx: CallContext, problemId: string): Promise<Map<string, string>> {
  let q = ctx.db.selectFrom("privacy_releases").innerJoin("signals", "signals.id", "privacy_releases.subject")
    .select(["signals.id", "signals.problem_id"]);
  if (problemId !== "") {
    requireDigest(problemId, "problem_id");
    q = q.where("signals.problem_id", "=", problemId);
  }
  return new Map((await q.execute()).map((r) => [r.id, r.problem_id]));
}

import { create, fromBinary } from "@bufbuild/protobuf";
import { contentId, signedBytes, verifyObjectWith, type SignatureVerifier } from "../../kernel/codec/index.js";
import { OpmError, invalidArgument } from "../../kernel/errors/index.js";
import { Compiler, Objective } from "../../gen/openpassmarket/v1/common_pb.js";
import { Visibility } from "../../gen/openpassmarket/v1/problem_pb.js";
import {
  ListSignalsResponseSchema,
  SubmitSignalResponseSchema,
  type ListSignalsRequest,
  type ListSignalsResponse,
  type SubmitSignalRequest,
  type SubmitSignalResponse,
} from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { PerformanceSignalSchema, SignalStatus, type PerformanceSignal } from "../../gen/openpassmarket/v1/signal_pb.js";
import type { CallContext } from "../rpc/index.js";
import { insertBatched } from "../storage/index.js";
import { findActor, findActorForShare } from "./actor-repository.js";
import { requireCachedCaller } from "./actors.js";
import type { AdmissionAuthority } from "./admission-authority.js";
import type { ActorKeys, CachedActor } from "./actor-keys.js";
import type { ProblemCache } from "./problem-cache.js";
import { requiredLayersOf } from "./required-layers.js";
import { refuseQuarantined } from "./quarantine.js";
import { signalStatusOf, signalStatusText } from "./signal-status.js";
import { requireDigest, requireEnum, requireFinite, requireText } from "./validate.js";

/** What signal submission needs besides the call. */
export interface SignalDeps {
  keys: ActorKeys;
  /** Checks the signal's signature (a worker pool on the node). */
  verifier: SignatureVerifier;
  admission: AdmissionAuthority;
  problems: ProblemCache;
}

/** The adapter reporting a signal: the caller, admitted, with its registered key. */
export type Reporter = CachedActor;

/** The caller as a `Reporter`: a registered adapter (from the key cache) that is admitted; permission_denied otherwise. */
export async function requireReporter(ctx: CallContext, deps: SignalDeps): Promise<Reporter> {
  const reporter = await requireCachedCaller(ctx, "adapter", deps.keys);
  await deps.admission.requireAdmitted(ctx, reporter.actor);
  return reporter;
}

/** A stored signal: its content id, and whether this call stored it (false for a duplicate). */
export interface AcceptedSignal {
  signalId: string;
  created: boolean;
}

/**
 * Stores `s`, reported by `reporter` (see `requireReporter`), if it is signed by that
 * adapter's registered key, about a known problem (a private one only from the owner's
 * adapters), with digests that match and a passing verifier verdict with every layer
 * the compiler requires; otherwise throws naming the `signal.*` field. Stored under its
 * content id, accepted (a spot check in CompleteJob may hold it provisional in the same
 * transaction); a duplicate is harmless and returns the same id. SubmitSignal and
 * CompleteJob both store signals through here.
 */
export async function acceptSignal(ctx: CallContext, deps: SignalDeps, reporter: Reporter, s: PerformanceSignal): Promise<AcceptedSignal> {
  const { actor: adapter, key, keyId } = reporter;
  if (s.adapter !== ctx.actor) throw new OpmError("permission_denied", `field \`signal.adapter\`: ${ctx.actor} cannot report for ${JSON.stringify(s.adapter)}`, { field: "signal.adapter" });
  validateSignal(s);
  // The verified bytes give the content id without encoding the signal a second time.
  const unsigned = await verifyObjectWith(deps.verifier, PerformanceSignalSchema, s, key, keyId);
  const problem = await deps.problems.get(ctx, s.problemId, "signal.problem_id");
  if (problem.visibility === Visibility.PRIVATE && adapter.owner !== problem.participant) {
    throw new OpmError("permission_denied", `problem ${s.problemId} is private to ${problem.participant}; adapter ${adapter.name} belongs to ${adapter.owner || "nobody"}`);
  }
  if (s.objective !== problem.objective) {
    throw invalidArgument("signal.objective", `${Objective[s.objective]} but the problem's objective is ${Objective[problem.objective]}`);
  }
  if (s.inputDigest !== problem.irDigest) {
    throw invalidArgument("signal.input_digest", `${s.inputDigest} is not the problem's IR digest ${problem.irDigest}`);
  }
  const verdict = s.verdict;
  if (verdict === undefined || !verdict.ok || verdict.layers.some((l) => !l.ok)) {
    const failed = verdict?.layers.find((l) => !l.ok)?.name ?? (verdict === undefined ? "(no verdict)" : "(verdict not ok)");
    throw new OpmError("verification_failed", `signal has no passing verifier verdict: layer ${failed} failed`, { field: "signal.verdict" });
  }
  // The layers the problem's compiler's declaration requires (all four where the program is built and run).
  const missing = requiredLayersOf(problem.compiler).filter((name) => !verdict.layers.some((l) => l.name === name && l.ok));
  if (missing.length > 0) {
    throw new OpmError("verification_failed", `signal's verdict lacks the layers ${missing.join(", ")} required for ${Compiler[problem.compiler]}`, { field: "signal.verdict.layers" });
  }
  // The reporter came from the key cache; on a server two commit lanes run at once. With the
  // adapter's row share-locked to the end of this transaction, a quarantine (an UPDATE of
  // that row) either committed first and is refused here, or waits for this signal and then
  // refuses it with the adapter's other uncorroborated ones: a lie cannot slip between them.
  refuseQuarantined((await findActorForShare(ctx.db, adapter.name)) ?? adapter);
  const id = contentId(unsigned);
  const created = await insertBatched(ctx.db, "signals", {
    id, problem_id: s.problemId, adapter: ctx.actor, body: signedBytes(PerformanceSignalSchema, s, unsigned), created_at_ms: ctx.now,
  });
  if (created) await ctx.audit("signal.submit", id, `problem ${s.problemId} achieved ${s.achieved} baseline ${s.baseline}`);
  return { signalId: id, created };
}

/** SubmitSignal: a signal from the calling adapter, stored through `acceptSignal`. */
export async function submitSignal(ctx: CallContext, deps: SignalDeps, req: SubmitSignalRequest): Promise<SubmitSignalResponse> {
  const reporter = await requireReporter(ctx, deps);
  if (req.signal === undefined) throw invalidArgument("signal", "is required");
  // One path for a job's result: its completion, where spot checks see it. A signal
  // naming a job here would bypass them (and could overwrite a checked answer).
  if (req.signal.jobId !== "") {
    throw new OpmError("failed_precondition", `field \`signal.job_id\`: the signal of job ${req.signal.jobId} comes only through CompleteJob; SubmitSignal takes results measured outside the job queue`, { field: "signal.job_id" });
  }
  return create(SubmitSignalResponseSchema, await acceptSignal(ctx, deps, reporter, req.signal));
}

/**
 * The signals of a problem with their statuses, oldest first, paged by offset. Adapters
 * are not shown provisional signals: an adapter running a spot check that could read the
 * result under check could echo it instead of measuring.
 */
export async function listSignals(ctx: CallContext, req: ListSignalsRequest): Promise<ListSignalsResponse> {
  requireDigest(req.problemId, "problem_id");
  const pageSize = req.pageSize === 0 ? 100 : Math.min(req.pageSize, 1000);
  const offset = req.pageToken === "" ? 0 : Number(req.pageToken);
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalidArgument("page_token", `${JSON.stringify(req.pageToken)} is not a page token`);
  let q = ctx.db.selectFrom("signals").select(["id", "body", "status"]).where("problem_id", "=", req.problemId);
  if ((await findActor(ctx.db, ctx.actor))?.kind === "adapter") q = q.where("status", "<>", signalStatusText(SignalStatus.PROVISIONAL));
  const rows = await q.orderBy("created_at_ms").orderBy("id").offset(offset).limit(pageSize + 1).execute();
  const page = rows.slice(0, pageSize);
  return create(ListSignalsResponseSchema, {
    signals: page.map((r) => fromBinary(PerformanceSignalSchema, r.body)),
    signalIds: page.map((r) => r.id),
    nextPageToken: rows.length > pageSize ? String(offset + pageSize) : "",
    statuses: page.map((r) => signalStatusOf(r.status)),
  });
}

/** Field-by-field validation of a PerformanceSignal; throws invalid_argument naming the field. */
export function validateSignal(s: PerformanceSignal): void {
  requireDigest(s.problemId, "signal.problem_id");
  requireEnum(s.objective, Objective, "signal.objective");
  requireFinite(s.baseline, "signal.baseline");
  requireFinite(s.achieved, "signal.achieved");
  requireDigest(s.inputDigest, "signal.input_digest");
  requireDigest(s.outputDigest, "signal.output_digest");
  requireText(s.compilerVersion, "signal.compiler_version", 64);
  if (s.pipeline.length > 10_000) throw invalidArgument("signal.pipeline", `${s.pipeline.length} steps; at most 10000`);
  s.pipeline.forEach((step, i) => requireText(step.pass, `signal.pipeline[${i}].pass`, 256));
}

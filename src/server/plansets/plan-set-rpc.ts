import { create } from "@bufbuild/protobuf";
import { Compiler, Objective } from "../../gen/openpassmarket/v1/common_pb.js";
import {
  BuildPlanSetResponseSchema,
  GetPlanSetResponseSchema,
  type BuildPlanSetRequest,
  type BuildPlanSetResponse,
  type GetPlanSetRequest,
  type GetPlanSetResponse,
} from "../../gen/openpassmarket/v1/planset_pb.js";
import type { Ed25519KeyPair } from "../../kernel/codec/index.js";
import { invalidArgument, OpmError } from "../../kernel/errors/index.js";
import { compilerName, objectiveFromProto, parseCompiler } from "../../kernel/plan/index.js";
import { buildPlanSet, DEFAULT_MAX_PLANS, planSetVersion, signPlanSet } from "../../kernel/planset/index.js";
import type { ProblemCache } from "../registry/problem-cache.js";
import { requireEnum } from "../registry/validate.js";
import type { CallContext } from "../rpc/index.js";
import { insertPlanSet, newestPlanSet, planSetByVersion, storedPlanSet } from "./plan-set-store.js";
import { teachingSignals } from "./teaching-signals.js";

/** What the plan set methods need from the node. */
export interface PlanSetDeps {
  problems: ProblemCache;
  /** The node's Ed25519 key: it signs every plan set the node builds. */
  key: Ed25519KeyPair;
}

const MAX_PLANS = 1000;

/** The name a node signs plan sets as: `node/<first 16 hex digits of its key id>`. */
export function planSetSigner(key: Ed25519KeyPair): string {
  return `node/${key.keyId.slice(0, 16)}`;
}

/**
 * BuildPlanSet: builds the plan set of the request's compiler (version) and objective from
 * `teachingSignals`, signs it with the node's key and stores it as the next version of its
 * chain — unless the newest stored version is the same plan set (the signals taught nothing
 * new), which is returned with created false; so is an older version the signals lead back
 * to (a signal refused since), since a version is stored once. FAILED_PRECONDITION when no
 * signal improved anything yet.
 */
export async function buildPlanSetRpc(ctx: CallContext, deps: PlanSetDeps, req: BuildPlanSetRequest): Promise<BuildPlanSetResponse> {
  requireEnum(req.compiler, Compiler, "compiler");
  requireEnum(req.objective, Objective, "objective");
  if (req.maxPlans > MAX_PLANS) throw invalidArgument("max_plans", `${req.maxPlans} is not in 1..${MAX_PLANS} (0 means ${DEFAULT_MAX_PLANS})`);
  const signals = await teachingSignals(ctx, deps.problems, req.compiler, req.objective);
  const compiler = parseCompiler(compilerName(req.compiler), "compiler");
  const set = buildPlanSet(signals, {
    compiler, objective: objectiveFromProto(req.objective), maxPlans: req.maxPlans === 0 ? DEFAULT_MAX_PLANS : req.maxPlans,
    ...(req.compilerVersion === "" ? {} : { compilerVersion: req.compilerVersion }),
  });
  const version = planSetVersion(set);
  const existing = await planSetByVersion(ctx, version);
  if (existing !== undefined) return create(BuildPlanSetResponseSchema, { stored: storedPlanSet(existing, deps.key.publicKeyRaw), created: false });
  signPlanSet(set, planSetSigner(deps.key), deps.key);
  const row = await insertPlanSet(ctx, set, await newestPlanSet(ctx, set));
  await ctx.audit("planset.build", version, `${row.ref}: ${set.plans.length} plans from ${set.signalCount} signals on ${set.problems.length} problems, coverage ${set.coverage.toFixed(3)}`);
  return create(BuildPlanSetResponseSchema, { stored: storedPlanSet(row, deps.key.publicKeyRaw), created: true });
}

/** GetPlanSet: one version, or the newest of a compiler version and objective; NOT_FOUND when there is none. */
export async function getPlanSetRpc(ctx: CallContext, deps: PlanSetDeps, req: GetPlanSetRequest): Promise<GetPlanSetResponse> {
  if (req.version !== "") {
    if (!/^[0-9a-f]{64}$/.test(req.version)) throw invalidArgument("version", `${JSON.stringify(req.version.slice(0, 80))} is not a plan set version (64 hex digits)`);
    const row = await planSetByVersion(ctx, req.version);
    if (row === undefined) throw new OpmError("not_found", `no plan set ${req.version}`, { field: "version" });
    return create(GetPlanSetResponseSchema, { stored: storedPlanSet(row, deps.key.publicKeyRaw) });
  }
  requireEnum(req.compiler, Compiler, "compiler");
  requireEnum(req.objective, Objective, "objective");
  if (req.compilerVersion === "") throw invalidArgument("compiler_version", "is required (or give version)");
  const row = await newestPlanSet(ctx, req);
  if (row === undefined) {
    throw new OpmError("not_found", `no plan set was built for ${compilerName(req.compiler)} ${req.compilerVersion} ${objectiveFromProto(req.objective)} (opm planset build --registry …)`, { field: "compiler_version" });
  }
  return create(GetPlanSetResponseSchema, { stored: storedPlanSet(row, deps.key.publicKeyRaw) });
}

import { INPUT_FORMATS, runSetDigest, runSetFromProto } from "../../kernel/plan/index.js";
import { create, fromBinary } from "@bufbuild/protobuf";
import { canonicalBytes, contentId } from "../../kernel/codec/index.js";
import { OpmError, invalidArgument } from "../../kernel/errors/index.js";
import { Compiler, Objective } from "../../gen/openpassmarket/v1/common_pb.js";
import { LocalProblemSchema, Visibility, type LocalProblem } from "../../gen/openpassmarket/v1/problem_pb.js";
import {
  GetProblemResponseSchema,
  SubmitProblemResponseSchema,
  type GetProblemRequest,
  type GetProblemResponse,
  type SubmitProblemRequest,
  type SubmitProblemResponse,
} from "../../gen/openpassmarket/v1/registry_service_pb.js";
import type { CallContext } from "../rpc/index.js";
import { findActor } from "./actor-repository.js";
import { requireCaller } from "./actors.js";
import { requireDigest, requireEnum, requireFinite, requireText } from "./validate.js";

/** IR formats a problem may carry. */
const MAX_FEATURES = 512;

/**
 * Stores a participant's problem under its content id. A private problem must not carry
 * its IR (only digest and features leave the participant); a public one must, and the
 * IR must hash to `ir_digest`. Submitting the same problem twice returns the same id.
 */
export async function submitProblem(ctx: CallContext, req: SubmitProblemRequest): Promise<SubmitProblemResponse> {
  await requireCaller(ctx, "participant");
  const p = req.problem;
  if (p === undefined) throw invalidArgument("problem", "is required");
  if (p.participant === "") p.participant = ctx.actor;
  // Posing for an organisation needs its role `write` (the access table checked it); the
  // organisation must be a registered participant.
  if (p.participant !== ctx.actor && (await findActor(ctx.db, p.participant))?.kind !== "participant") {
    throw new OpmError("permission_denied", `field \`problem.participant\`: ${p.participant} is not a registered participant`, { field: "problem.participant" });
  }
  if (p.visibility === Visibility.UNSPECIFIED) p.visibility = Visibility.PRIVATE;
  validateProblem(p);
  const body = canonicalBytes(LocalProblemSchema, p);
  const id = contentId(body);
  const inserted = await ctx.db.insertInto("problems").values({
    id, participant: p.participant, compiler: p.compiler, objective: p.objective, visibility: p.visibility, body, created_at_ms: ctx.now,
  }).onConflict((oc) => oc.column("id").doNothing()).returning("id").executeTakeFirst();
  if (inserted !== undefined) await ctx.audit("problem.submit", id, `${Compiler[p.compiler]} ${Objective[p.objective]} ${Visibility[p.visibility]}`);
  return create(SubmitProblemResponseSchema, { problemId: id, created: inserted !== undefined });
}

/** Reads a problem by id (NOT_FOUND when unknown). */
export async function getProblem(ctx: CallContext, req: GetProblemRequest): Promise<GetProblemResponse> {
  const problem = await loadProblem(ctx, req.problemId, "problem_id");
  return create(GetProblemResponseSchema, { problem, problemId: req.problemId });
}

/** The stored problem `id`; throws not_found naming `field`. */
export async function loadProblem(ctx: CallContext, id: string, field: string): Promise<LocalProblem> {
  requireDigest(id, field);
  const row = await ctx.db.selectFrom("problems").select("body").where("id", "=", id).executeTakeFirst();
  if (row === undefined) throw new OpmError("not_found", `field \`${field}\`: unknown problem ${id}`, { field });
  return fromBinary(LocalProblemSchema, row.body);
}

/** Field-by-field validation of a LocalProblem; throws invalid_argument naming the field. */
export function validateProblem(p: LocalProblem): void {
  requireEnum(p.compiler, Compiler, "problem.compiler");
  requireEnum(p.objective, Objective, "problem.objective");
  requireEnum(p.visibility, Visibility, "problem.visibility");
  requireText(p.compilerVersion, "problem.compiler_version", 64);
  requireDigest(p.irDigest, "problem.ir_digest");
  if (!(INPUT_FORMATS as readonly string[]).includes(p.irFormat)) {
    throw invalidArgument("problem.ir_format", `unknown value ${JSON.stringify(p.irFormat)}; expected one of ${INPUT_FORMATS.join(", ")}`);
  }
  if (p.features.length > MAX_FEATURES) throw invalidArgument("problem.features", `${p.features.length} features; at most ${MAX_FEATURES}`);
  p.features.forEach((f, i) => {
    requireText(f.name, `problem.features[${i}].name`, 128);
    requireFinite(f.value, `problem.features[${i}].value`);
    const prev = p.features[i - 1];
    if (prev !== undefined && prev.name >= f.name) {
      throw invalidArgument(`problem.features[${i}].name`, `${JSON.stringify(f.name)} is not after ${JSON.stringify(prev.name)} (names must be sorted and unique)`);
    }
  });
  requireFinite(p.baseline, "problem.baseline");
  if (p.label.length > 256) throw invalidArgument("problem.label", "at most 256 chars");
  const c = p.constraints;
  if (c !== undefined && c.maxPasses > 10_000) throw invalidArgument("problem.constraints.max_passes", `${c.maxPasses} > 10000`);
  if (c !== undefined && c.requiredCoverageBp > 10_000) throw invalidArgument("problem.constraints.required_coverage_bp", `${c.requiredCoverageBp} > 10000 (basis points of the changed code)`);
  if (p.visibility === Visibility.PRIVATE && p.ir.length > 0) {
    throw invalidArgument("problem.ir", "a private problem's IR never leaves the participant; send only its digest and features");
  }
  if (p.visibility === Visibility.PUBLIC) {
    if (p.ir.length === 0) throw invalidArgument("problem.ir", "a public problem must carry its IR");
    const actual = contentId(p.ir);
    if (actual !== p.irDigest) throw invalidArgument("problem.ir_digest", `is ${p.irDigest} but the IR hashes to ${actual}`);
  }
  validateProblemRuns(p);
}

/**
 * A problem's runs: a public problem carries them with their digest; a private one
 * only the digest (its runs, like its IR, stay with the participant).
 */
function validateProblemRuns(p: LocalProblem): void {
  const carried = p.runs !== undefined && p.runs.runs.length > 0;
  if (p.runsDigest !== "") requireDigest(p.runsDigest, "problem.runs_digest");
  if (p.visibility === Visibility.PRIVATE) {
    if (carried) throw invalidArgument("problem.runs", "a private problem's runs never leave the participant; send only their digest");
    return;
  }
  if (!carried) {
    if (p.runsDigest !== "") throw invalidArgument("problem.runs", "a public problem with a runs_digest must carry its runs");
    return;
  }
  const actual = runSetDigest(runSetFromProto(p.runs!, "problem.runs"));
  if (actual !== p.runsDigest) throw invalidArgument("problem.runs_digest", `is ${JSON.stringify(p.runsDigest)} but the runs hash to ${actual}`);
}

import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ContractEdge_Kind } from "../../gen/openpassmarket/v1/contracts_pb.js";
import { PlanSetSchema, StoredPlanSetSchema, type PlanSet, type StoredPlanSet } from "../../gen/openpassmarket/v1/planset_pb.js";
import { compilerName, objectiveFromProto } from "../../kernel/plan/index.js";
import { planSetVersion } from "../../kernel/planset/index.js";
import type { CallContext } from "../rpc/index.js";

/** The contract-graph name of a plan set chain: `plan-set/<compiler>-<version>/<objective>`. */
export function planSetContractName(set: Pick<PlanSet, "compiler" | "compilerVersion" | "objective">): string {
  return `plan-set/${compilerName(set.compiler)}-${set.compilerVersion}/${objectiveFromProto(set.objective)}`;
}

type Row = { id: string; sequence: number; supersedes: string; built_by: string; built_at_ms: number; body: Uint8Array; ref: string };

/** The newest stored plan set of a chain, or undefined. */
export async function newestPlanSet(ctx: CallContext, chain: Pick<PlanSet, "compiler" | "compilerVersion" | "objective">): Promise<Row | undefined> {
  return ctx.db.selectFrom("plan_sets").innerJoin("contracts", "contracts.id", "plan_sets.id")
    .select(["plan_sets.id", "plan_sets.sequence", "plan_sets.supersedes", "plan_sets.built_by", "plan_sets.built_at_ms", "contracts.body", "contracts.ref"])
    .where("plan_sets.compiler", "=", chain.compiler).where("plan_sets.compiler_version", "=", chain.compilerVersion)
    .where("plan_sets.objective", "=", chain.objective)
    .orderBy("plan_sets.sequence", "desc").limit(1).executeTakeFirst();
}

/** The stored plan set of one version, or undefined. */
export async function planSetByVersion(ctx: CallContext, version: string): Promise<Row | undefined> {
  return ctx.db.selectFrom("plan_sets").innerJoin("contracts", "contracts.id", "plan_sets.id")
    .select(["plan_sets.id", "plan_sets.sequence", "plan_sets.supersedes", "plan_sets.built_by", "plan_sets.built_at_ms", "contracts.body", "contracts.ref"])
    .where("plan_sets.id", "=", version).executeTakeFirst();
}

/**
 * Stores a signed plan set as the next version of its chain: a `contracts` node of kind
 * `plan-set` (body: its canonical signed bytes; version `<sequence>.0.0`) with a
 * `supersedes` edge to the previous version, which is marked superseded, and its
 * `plan_sets` row. Requires `set` signed and not stored yet.
 */
export async function insertPlanSet(ctx: CallContext, set: PlanSet, previous: Row | undefined): Promise<Row> {
  const id = planSetVersion(set);
  const sequence = (previous?.sequence ?? 0) + 1;
  const name = planSetContractName(set);
  const version = `${sequence}.0.0`;
  const body = toBinary(PlanSetSchema, set);
  const ref = `${name}@${version}`;
  await ctx.db.insertInto("contracts").values({
    id, ref, kind: "plan-set", name, version, major: sequence, minor: 0, patch: 0, body, publisher: ctx.actor, created_at_ms: ctx.now,
    superseded: false, compiler: set.compiler, level: 0, pass_name: "", compiler_min: "", compiler_max: "", invariants: [],
  }).execute();
  await ctx.db.insertInto("plan_sets").values({
    id, compiler: set.compiler, compiler_version: set.compilerVersion, objective: set.objective, sequence,
    supersedes: previous?.id ?? "", key_id: set.signature?.keyId ?? "", built_by: ctx.actor, built_at_ms: ctx.now,
  }).execute();
  if (previous !== undefined) {
    await ctx.db.updateTable("contracts").set({ superseded: true }).where("id", "=", previous.id).execute();
    await ctx.db.insertInto("contract_edges").values({ from_id: id, to_id: previous.id, kind: ContractEdge_Kind.SUPERSEDES }).execute();
  }
  return { id, sequence, supersedes: previous?.id ?? "", built_by: ctx.actor, built_at_ms: ctx.now, body, ref };
}

/** A stored row as the wire shows it, with the node's public key. */
export function storedPlanSet(row: Row, publicKey: Uint8Array): StoredPlanSet {
  return create(StoredPlanSetSchema, {
    planSet: fromBinary(PlanSetSchema, row.body), version: row.id, sequence: row.sequence, supersedes: row.supersedes,
    publicKey, builtBy: row.built_by, builtAtMs: BigInt(row.built_at_ms), ref: row.ref,
  });
}

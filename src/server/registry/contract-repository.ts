import { create, fromBinary } from "@bufbuild/protobuf";
import type { Kysely, Selectable } from "kysely";
import {
  ContractDeclSchema,
  ContractNodeSchema,
  PassSpecSchema,
  type ContractNode,
} from "../../gen/openpassmarket/v1/contracts_pb.js";
import { PlanSetSchema } from "../../gen/openpassmarket/v1/planset_pb.js";
import type { ContractsTable, Database } from "../storage/index.js";

/** A contract node as stored, with its parsed version. */
export type ContractRow = Selectable<ContractsTable>;

/** The node stored under `ref` (`name@version`). */
export async function findContractByRef(db: Kysely<Database>, ref: string): Promise<ContractRow | undefined> {
  return db.selectFrom("contracts").selectAll().where("ref", "=", ref).executeTakeFirst();
}

/** The newest version of `name`, optionally within one major version. */
export async function latestContract(db: Kysely<Database>, name: string, major?: number): Promise<ContractRow | undefined> {
  let q = db.selectFrom("contracts").selectAll().where("name", "=", name);
  if (major !== undefined) q = q.where("major", "=", major);
  return q.orderBy("major", "desc").orderBy("minor", "desc").orderBy("patch", "desc").limit(1).executeTakeFirst();
}

/** Converts a stored row into the protobuf node (body decoded by kind). */
export function contractNodeFromRow(row: ContractRow): ContractNode {
  return create(ContractNodeSchema, {
    id: row.id,
    ref: row.ref,
    kind: row.kind,
    name: row.name,
    version: row.version,
    publisher: row.publisher,
    body: row.kind === "pass-spec"
      ? { case: "passSpec", value: fromBinary(PassSpecSchema, row.body) }
      : row.kind === "plan-set"
        ? { case: "planSet", value: fromBinary(PlanSetSchema, row.body) }
        : { case: "decl", value: fromBinary(ContractDeclSchema, row.body) },
  });
}

/**
 * A compiler version as a string that sorts like the version (`14.0.6` →
 * `000000014.000000000.000000006`), so version ranges filter in SQL.
 */
export function sortableVersion(v: { major: number; minor: number; patch: number }): string {
  const pad = (n: number) => String(n).padStart(9, "0");
  return `${pad(v.major)}.${pad(v.minor)}.${pad(v.patch)}`;
}

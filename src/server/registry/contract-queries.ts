import { create } from "@bufbuild/protobuf";
import { sql } from "kysely";
import { invalidArgument } from "../../kernel/errors/index.js";
import { GraphOfContractsSchema, type ContractEdge } from "../../gen/openpassmarket/v1/contracts_pb.js";
import {
  DiscoverPassesResponseSchema,
  type DiscoverPassesRequest,
  type DiscoverPassesResponse,
  type GetContractGraphRequest,
  type GetContractGraphResponse,
  GetContractGraphResponseSchema,
} from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import type { CallContext } from "../rpc/index.js";
import { contractNodeFromRow, findContractByRef, sortableVersion, type ContractRow } from "./contract-repository.js";
import { parseCompilerVersion } from "../../kernel/plan/semver.js";

const MAX_PAGE = 1000;
const MAX_GRAPH_NODES = 20_000;

/**
 * PassSpecs matching every given filter, ordered by ref, paged by the last ref seen.
 * Only the newest version of each pass unless `all_versions`.
 */
export async function discoverPasses(ctx: CallContext, req: DiscoverPassesRequest): Promise<DiscoverPassesResponse> {
  const pageSize = req.pageSize === 0 ? 200 : Math.min(req.pageSize, MAX_PAGE);
  let q = ctx.db.selectFrom("contracts").selectAll().where("kind", "=", "pass-spec");
  if (req.compiler !== 0) q = q.where("compiler", "=", req.compiler);
  if (req.level !== 0) q = q.where("level", "=", req.level);
  if (req.namePrefix !== "") q = q.where("pass_name", "like", `${req.namePrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (req.invariants.length > 0) q = q.where(sql<boolean>`invariants @> ${sql.val(req.invariants)}::text[]`);
  if (req.compilerVersion !== "") {
    const v = sortableVersion(parseCompilerVersion(req.compilerVersion, "compiler_version"));
    q = q.where((eb) => eb.and([
      eb.or([eb("compiler_min", "=", ""), eb("compiler_min", "<=", v)]),
      eb.or([eb("compiler_max", "=", ""), eb("compiler_max", ">", v)]),
    ]));
  }
  if (!req.allVersions) q = q.where("superseded", "=", false);
  if (req.pageToken !== "") q = q.where("ref", ">", req.pageToken);
  const rows = await q.orderBy("ref").limit(pageSize + 1).execute();
  const page = rows.slice(0, pageSize);
  return create(DiscoverPassesResponseSchema, {
    nodes: page.map(contractNodeFromRow),
    nextPageToken: rows.length > pageSize ? page[page.length - 1]!.ref : "",
  });
}

/** The whole contract graph, or the nodes within `depth` hops of `root` and their edges. */
export async function contractGraph(ctx: CallContext, req: GetContractGraphRequest): Promise<GetContractGraphResponse> {
  if (req.root === "") {
    const rows = await ctx.db.selectFrom("contracts").selectAll().orderBy("ref").limit(MAX_GRAPH_NODES).execute();
    const edges = await ctx.db.selectFrom("contract_edges").selectAll().execute();
    return graphOf(rows, edges.map((e) => ({ from: e.from_id, to: e.to_id, kind: e.kind })));
  }
  if (req.depth > 16) throw invalidArgument("depth", `${req.depth} > 16`);
  const root = /^[0-9a-f]{64}$/.test(req.root)
    ? await ctx.db.selectFrom("contracts").selectAll().where("id", "=", req.root).executeTakeFirst()
    : await findContractByRef(ctx.db, req.root);
  if (root === undefined) throw new OpmError("not_found", `field \`root\`: unknown contract ${req.root}`, { field: "root" });
  const seen = new Set([root.id]);
  const edges = new Map<string, { from: string; to: string; kind: number }>();
  let frontier = [root.id];
  for (let hop = 0; hop < Math.max(1, req.depth) && frontier.length > 0; hop++) {
    const found = await ctx.db.selectFrom("contract_edges").selectAll()
      .where((eb) => eb.or([eb("from_id", "in", frontier), eb("to_id", "in", frontier)])).execute();
    const next: string[] = [];
    for (const e of found) {
      edges.set(`${e.from_id}/${e.to_id}/${e.kind}`, { from: e.from_id, to: e.to_id, kind: e.kind });
      for (const id of [e.from_id, e.to_id]) if (!seen.has(id)) { seen.add(id); next.push(id); }
    }
    frontier = next;
  }
  const rows = await ctx.db.selectFrom("contracts").selectAll().where("id", "in", [...seen]).orderBy("ref").execute();
  return graphOf(rows, [...edges.values()].filter((e) => seen.has(e.from) && seen.has(e.to)));
}

function graphOf(rows: ContractRow[], edges: Array<Pick<ContractEdge, "from" | "to" | "kind">>): GetContractGraphResponse {
  return create(GetContractGraphResponseSchema, {
    graph: create(GraphOfContractsSchema, { nodes: rows.map(contractNodeFromRow), edges }),
  });
}

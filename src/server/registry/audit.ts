import { create } from "@bufbuild/protobuf";
import { AuditEventSchema } from "../../gen/openpassmarket/v1/audit_pb.js";
import {
  ListAuditEventsResponseSchema,
  type ListAuditEventsRequest,
  type ListAuditEventsResponse,
} from "../../gen/openpassmarket/v1/registry_service_pb.js";
import type { CallContext } from "../rpc/index.js";

/** Which events a caller may read: all (the operator) or those made by these actors (see `auditScopeOf`). */
export type AuditEventScope = { kind: "all" } | { kind: "actors"; actors: readonly string[] };

/**
 * Audit events with sequence > `after_sequence` (at most 1000) within `scope`: the oldest,
 * or with `newest` the newest; returned oldest first either way.
 */
export async function listAuditEvents(ctx: CallContext, req: ListAuditEventsRequest, scope: AuditEventScope = { kind: "all" }): Promise<ListAuditEventsResponse> {
  const limit = req.limit === 0 ? 100 : Math.min(req.limit, 1000);
  if (scope.kind === "actors" && scope.actors.length === 0) return create(ListAuditEventsResponseSchema, { events: [] });
  let q = ctx.db.selectFrom("audit_events").selectAll().where("sequence", ">", Number(req.afterSequence));
  if (scope.kind === "actors") q = q.where("actor", "in", [...scope.actors]);
  const selected = await q.orderBy("sequence", req.newest ? "desc" : "asc").limit(limit).execute();
  const rows = req.newest ? selected.reverse() : selected;
  return create(ListAuditEventsResponseSchema, {
    events: rows.map((r) => create(AuditEventSchema, {
      sequence: BigInt(r.sequence), actor: r.actor, action: r.action, object: r.object, atMs: BigInt(r.at_ms),
      correlationId: r.correlation_id, requestDigest: r.request_digest, detail: r.detail,
    })),
  });
}

import { create } from "@bufbuild/protobuf";
import { AuditEventSchema } from "../../gen/openpassmarket/v1/audit_pb.js";
import {
  ListAuditEventsResponseSchema,
  type ListAuditEventsRequest,
  type ListAuditEventsResponse,
} from "../../gen/openpassmarket/v1/registry_service_pb.js";
import type { CallContext } from "../rpc/index.js";

/**
 * Audit events with sequence > `after_sequence` (at most 1000): the oldest, or with
 * `newest` the newest; returned oldest first either way.
 */
export async function listAuditEvents(ctx: CallContext, req: ListAuditEventsRequest): Promise<ListAuditEventsResponse> {
  const limit = req.limit === 0 ? 100 : Math.min(req.limit, 1000);
  const selected = await ctx.db.selectFrom("audit_events").selectAll()
    .where("sequence", ">", Number(req.afterSequence)).orderBy("sequence", req.newest ? "desc" : "asc").limit(limit).execute();
  const rows = req.newest ? selected.reverse() : selected;
  return create(ListAuditEventsResponseSchema, {
    events: rows.map((r) => create(AuditEventSchema, {
      sequence: BigInt(r.sequence), actor: r.actor, action: r.action, object: r.object, atMs: BigInt(r.at_ms),
      correlationId: r.correlation_id, requestDigest: r.request_digest, detail: r.detail,
    })),
  });
}

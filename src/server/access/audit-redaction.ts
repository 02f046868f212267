import type { AuditEvent } from "../../gen/openpassmarket/v1/audit_pb.js";
import { Visibility } from "../../gen/openpassmarket/v1/problem_pb.js";
import type { CallContext } from "../rpc/index.js";
import { organisationReader } from "./access-control.js";

/**
 * Actions whose detail never carries a result: counts, ids, states, roles, budget spending
 * and releases (public by design). Every other action's detail — a signal's metrics, spot
 * check and discrepancy evidence, an adapter's failure message, and any action added later —
 * is withheld when it names a private problem the reader may not read. Deny by default: a new
 * action that carries metrics stays private until it is listed here.
 */
export const DETAIL_WITHOUT_RESULTS: ReadonlySet<string> = new Set([
  "access.deny", "problem.submit", "jobs.enqueue", "jobs.claim", "job.complete", "jobs.release",
  "spot_check.select", "spot_check.unanswered", "privacy.release", "member.add", "member.remove",
]);

const DIGEST = /\b[0-9a-f]{64}\b/g;
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;

/**
 * Withholds, in place, the detail of every event that is about a private problem whose
 * organisation the caller may not read (`mayReadOrganisation`: `read` there, or one of its
 * adapters) — the node operator included: it administers the node, it does not read
 * organisations' exact results. An event is about a private problem when its object or
 * detail names the problem, one of its signals or one of its jobs; its action, actor,
 * object, time and correlation stay, so the operator still sees who did what and when.
 */
export async function redactAuditEvents(ctx: CallContext, events: AuditEvent[]): Promise<AuditEvent[]> {
  const candidates = events.filter((e) => !DETAIL_WITHOUT_RESULTS.has(e.action));
  if (candidates.length === 0) return events;
  const digests = new Set<string>(), uuids = new Set<string>();
  for (const e of candidates) {
    for (const text of [e.object, e.detail]) {
      for (const m of text.matchAll(DIGEST)) digests.add(m[0]);
      for (const m of text.matchAll(UUID)) uuids.add(m[0]);
    }
  }
  const owners = await privateOwners(ctx, [...digests], [...uuids]);
  if (owners.size === 0) return events;
  const mayRead = await organisationReader(ctx);
  for (const e of candidates) {
    const named = new Set<string>();
    for (const text of [e.object, e.detail]) {
      for (const m of text.matchAll(DIGEST)) if (owners.has(m[0])) named.add(owners.get(m[0])!);
      for (const m of text.matchAll(UUID)) if (owners.has(m[0])) named.add(owners.get(m[0])!);
    }
    const hidden: string[] = [];
    for (const org of [...named].sort()) if (!(await mayRead(org))) hidden.push(org);
    if (hidden.length > 0) {
      e.detail = `withheld: about a private problem of ${hidden.map((o) => JSON.stringify(o)).join(", ")} (its exact results are readable by its \`read\` members)`;
    }
  }
  return events;
}

/** id → owning participant, for the given ids that are private problems, their signals, or their jobs. */
async function privateOwners(ctx: CallContext, digests: string[], uuids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const ids of chunks(digests)) {
    const problems = await ctx.db.selectFrom("problems").select(["id", "participant"])
      .where("id", "in", ids).where("visibility", "=", Visibility.PRIVATE).execute();
    for (const p of problems) out.set(p.id, p.participant);
    const signals = await ctx.db.selectFrom("signals").innerJoin("problems", "problems.id", "signals.problem_id")
      .select(["signals.id", "problems.participant"])
      .where("signals.id", "in", ids).where("problems.visibility", "=", Visibility.PRIVATE).execute();
    for (const s of signals) out.set(s.id, s.participant);
  }
  for (const ids of chunks(uuids)) {
    const jobs = await ctx.db.selectFrom("jobs").select(["id", "owner"]).where("id", "in", ids).where("owner", "<>", "").execute();
    for (const j of jobs) out.set(j.id, j.owner);
  }
  return out;
}

/** `items` in slices small enough for one statement's parameters. */
function chunks<T>(items: readonly T[], size = 1000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

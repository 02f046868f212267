import type { Kysely } from "kysely";
import { OpmError } from "../../kernel/errors/index.js";
import type { EvaluationJob } from "../../gen/openpassmarket/v1/job_service_pb.js";
import { Visibility } from "../../gen/openpassmarket/v1/problem_pb.js";
import type { Actor } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { findActor } from "../registry/actor-repository.js";
import { loadProblem } from "../registry/problems.js";
import type { AccessPolicy, CallContext } from "../rpc/index.js";
import type { Database } from "../storage/index.js";
import { ACCESS_TABLE, GOVERNED_SERVICES, tableKeyOf, type AccessRule, type OrganisationOf } from "./access-table.js";
import { organisationActors, organisationsWithRole, rolesIn } from "./member-repository.js";
import type { Role } from "./roles.js";

type Request = Record<string, unknown>;

/** Who may read this node's delta log besides its operator (the `peer` rule). */
export interface PeerReaders {
  /** Why `caller` (its certificate name) may not read the log, or undefined when it may. */
  refusal(db: Kysely<Database>, caller: string): Promise<string | undefined>;
}

const OPERATOR_ONLY: PeerReaders = { refusal: async (_db, caller) => `${caller}: only the node operator reads its delta log here` };

/**
 * Applies `ACCESS_TABLE` at the RPC boundary: `authorize` before a method runs (after the
 * caller is authenticated), `filter` on the reply of a method whose rule filters. A
 * refusal is PERMISSION_DENIED naming the role (or kind) that is missing, and recorded as
 * an `access.deny` audit event.
 */
export class AccessControl implements AccessPolicy {
  /**
   * `peers` decides the `peer` rule (the node passes its `LedgerPeerAdmission`); without it
   * only the operator reads the delta log.
   */
  constructor(
    private readonly table: Readonly<Record<string, AccessRule>> = ACCESS_TABLE,
    private readonly peers: PeerReaders = OPERATOR_ONLY,
  ) {}

  /**
   * Throws unless `service` is governed and every method of it has an entry in the table:
   * a method bound without a rule would otherwise be open to any certificate.
   */
  requireRules(serviceTypeName: string, methodNames: readonly string[]): void {
    if (!(GOVERNED_SERVICES as readonly string[]).includes(serviceTypeName)) {
      throw new Error(`access table: service ${serviceTypeName} is not governed (add it to GOVERNED_SERVICES and its methods to ACCESS_TABLE)`);
    }
    const missing = methodNames.filter((m) => this.table[tableKeyOf(`/${serviceTypeName}/${m}`)] === undefined);
    if (missing.length > 0) throw new Error(`access table: no rule for ${missing.map((m) => `${serviceTypeName}.${m}`).join(", ")}`);
  }

  async authorize(ctx: CallContext, methodPath: string, request: unknown): Promise<void> {
    const key = tableKeyOf(methodPath);
    const rule = this.table[key];
    // Unreachable for a bound method (`requireRules`), but a method with no rule is refused, never open.
    if (rule === undefined) return this.deny(ctx, key, `${key} has no access rule`);
    const refusal = await this.judge(ctx, rule, request as Request);
    if (refusal !== undefined) await this.deny(ctx, key, refusal);
  }

  async filter<R>(ctx: CallContext, methodPath: string, response: R): Promise<R> {
    const rule = this.table[tableKeyOf(methodPath)];
    if (rule === undefined || !("filter" in rule) || rule.filter !== "jobs") return response;
    const r = response as unknown as { jobs: EvaluationJob[] };
    const mayRead = await organisationReader(ctx);
    const kept: EvaluationJob[] = [];
    for (const job of r.jobs) if (job.owner === "" || (await mayRead(job.owner))) kept.push(job);
    r.jobs = kept;
    return response;
  }

  /** Why `rule` refuses the call, or undefined when it allows it. */
  private async judge(ctx: CallContext, rule: AccessRule, req: Request): Promise<string | undefined> {
    if (rule.who === "anyone") return undefined;
    const caller = await findActor(ctx.db, ctx.actor);
    const who = caller === undefined ? `${ctx.actor} (not registered)` : `${ctx.actor} (${caller.kind})`;
    switch (rule.who) {
      case "registered":
        return caller === undefined ? `${who}: only registered actors may call this` : undefined;
      case "operator":
        return caller?.kind === "admin" ? undefined : `${who}: needs the node operator (kind admin)`;
      case "kind":
        return caller !== undefined && rule.kinds.includes(caller.kind) ? undefined : `${who}: needs an actor of kind ${rule.kinds.join(" or ")}`;
      case "role": {
        const org = await organisationOf(ctx, rule.of, req);
        return missingRole(ctx.db, caller, who, rule.role, org);
      }
      case "problem-reader": {
        const id = req[rule.field];
        if (typeof id !== "string" || id === "") return undefined; // ListJobs by state: filtered
        const problem = await loadProblem(ctx, id, fieldName(rule.field));
        if (problem.visibility === Visibility.PUBLIC) return undefined;
        if (caller !== undefined && (await mayReadOrganisation(ctx.db, caller, problem.participant))) return undefined;
        return `${who}: problem ${id} is private; needs role \`read\` in organisation ${JSON.stringify(problem.participant)}`;
      }
      case "jobs-reader":
        return undefined;
      case "audit-reader": {
        if (caller?.kind === "admin") return undefined;
        if (caller !== undefined && (await organisationsWithRole(ctx.db, caller, "audit")).length > 0) return undefined;
        return `${who}: needs role \`audit\` in an organisation (or the node operator)`;
      }
      case "peer":
        if (caller?.kind === "admin") return undefined;
        return this.peers.refusal(ctx.db, ctx.actor);
    }
  }

  private async deny(ctx: CallContext, key: string, why: string): Promise<never> {
    await ctx.audit("access.deny", key, why);
    throw new OpmError("permission_denied", `${key}: ${why}`);
  }
}

/** Which audit events a caller may read: every one (the operator) or those of these actors. */
export type AuditScope = { kind: "all" } | { kind: "actors"; actors: string[] };

/**
 * The audit events the caller may read: the operator all; an `audit` member the events made
 * by its organisations' actors (the participants, their members and their adapters).
 */
export async function auditScopeOf(ctx: CallContext): Promise<AuditScope> {
  const caller = await findActor(ctx.db, ctx.actor);
  if (caller?.kind === "admin") return { kind: "all" };
  if (caller === undefined) return { kind: "actors", actors: [] };
  return { kind: "actors", actors: await organisationActors(ctx.db, await organisationsWithRole(ctx.db, caller, "audit")) };
}

/**
 * The calling actor's `mayReadOrganisation`, asked once per organisation: whether it may read
 * the exact results (metrics) of an organisation's private problems. An unregistered caller
 * may read none.
 */
export async function organisationReader(ctx: CallContext): Promise<(participant: string) => Promise<boolean>> {
  const caller = await findActor(ctx.db, ctx.actor);
  const known = new Map<string, boolean>();
  return async (participant) => {
    let ok = known.get(participant);
    if (ok === undefined) {
      ok = caller !== undefined && participant !== "" && (await mayReadOrganisation(ctx.db, caller, participant));
      known.set(participant, ok);
    }
    return ok;
  };
}

/**
 * Whether `caller` may read the exact results of `participant`'s organisation: it holds
 * `read` there, or it is one of the organisation's adapters (which run its private jobs).
 */
export async function mayReadOrganisation(db: Kysely<Database>, caller: Actor, participant: string): Promise<boolean> {
  if (caller.kind === "adapter") return caller.owner !== "" && caller.owner === participant;
  return (await rolesIn(db, caller, participant)).has("read");
}

async function missingRole(db: Kysely<Database>, caller: Actor | undefined, who: string, role: Role, org: string): Promise<string | undefined> {
  if (caller !== undefined && (await rolesIn(db, caller, org)).has(role)) return undefined;
  return `${who}: needs role \`${role}\` in organisation ${JSON.stringify(org)}`;
}

async function organisationOf(ctx: CallContext, of: OrganisationOf, req: Request): Promise<string> {
  switch (of.from) {
    case "participant": {
      const v = req[of.field];
      return typeof v === "string" && v !== "" ? v : ctx.actor;
    }
    case "submitted-problem": {
      const p = (req.problem as { participant?: string } | undefined)?.participant;
      return p === undefined || p === "" ? ctx.actor : p;
    }
    case "problem":
      return (await loadProblem(ctx, String(req[of.field] ?? ""), fieldName(of.field))).participant;
    case "job": {
      const id = String(req[of.field] ?? "");
      const row = await ctx.db.selectFrom("jobs").select("problem_id").where("id", "=", id).executeTakeFirst();
      if (row === undefined) throw new OpmError("not_found", `field \`${fieldName(of.field)}\`: unknown job ${JSON.stringify(id)}`, { field: fieldName(of.field) });
      return (await loadProblem(ctx, row.problem_id, "job.problem_id")).participant;
    }
    case "campaign": {
      const id = String(req[of.field] ?? "");
      const row = await ctx.db.selectFrom("campaigns").select("owner").where("id", "=", id).executeTakeFirst();
      if (row === undefined) throw new OpmError("not_found", `field \`${fieldName(of.field)}\`: unknown campaign ${JSON.stringify(id)}`, { field: fieldName(of.field) });
      return row.owner;
    }
  }
}

/** `problem_id` for `problemId`. */
function fieldName(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

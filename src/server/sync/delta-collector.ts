import { create, toBinary } from "@bufbuild/protobuf";
import { sql, type Kysely } from "kysely";
import { canonicalBytes } from "../../kernel/codec/index.js";
import {
  ActorRecordSchema,
  ContractRecordSchema,
  JobOutcomeSchema,
  ReleaseRecordSchema,
  SignalStatusRecordSchema,
} from "../../gen/openpassmarket/v1/sync_pb.js";
import { Visibility } from "../../gen/openpassmarket/v1/problem_pb.js";
import { CampaignSchema } from "../../gen/openpassmarket/v1/campaign_pb.js";
import { campaignToProto, type CampaignRow } from "../campaigns/index.js";
import type { Database } from "../storage/index.js";
import { problemSyncView } from "./sync-view.js";

/** One change the batcher has not logged yet, with the version the anti-join compares. */
export interface Candidate {
  kind: string;
  key: string;
  version: string;
  value: Uint8Array;
}

/** The kinds of the delta log, in the order a pass collects them (causes before effects). */
export const DELTA_KINDS = ["actor", "ledger_entry", "contract", "problem", "signal", "signal_status", "job_outcome", "release", "campaign"] as const;
export type DeltaKind = (typeof DELTA_KINDS)[number];

const PUBLIC = Visibility.PUBLIC;

// Every collector is an anti-join against delta_items on (kind, key[, version]): what the
// node committed and its log does not carry yet, whatever order transactions committed in.
const COLLECTORS: Record<DeltaKind, (db: Kysely<Database>, limit: number) => Promise<Candidate[]>> = {
  actor: async (db, limit) => {
    const { rows } = await sql<{ name: string; kind: string; public_key: Uint8Array; status: string; owner: string; key_id: string }>`
      select a.name, a.kind, a.public_key, a.status, a.owner, a.key_id from actors a
      where a.kind = 'adapter' and not exists (select 1 from delta_items d where d.kind = 'actor' and d.key = a.name and d.version = a.status || ':' || a.key_id)
      order by a.name limit ${limit}`.execute(db);
    return rows.map((r) => ({
      kind: "actor", key: r.name, version: `${r.status}:${r.key_id}`,
      value: canonicalBytes(ActorRecordSchema, create(ActorRecordSchema, { name: r.name, kind: r.kind, publicKey: r.public_key, status: r.status, owner: r.owner })),
    }));
  },
  ledger_entry: async (db, limit) => {
    const { rows } = await sql<{ entry_index: number; body: Uint8Array }>`
      select l.entry_index, l.body from ledger_entries l
      where not exists (select 1 from delta_items d where d.kind = 'ledger_entry' and d.key = lpad(l.entry_index::text, 20, '0'))
      order by l.entry_index limit ${limit}`.execute(db);
    return rows.map((r) => ({ kind: "ledger_entry", key: String(r.entry_index).padStart(20, "0"), version: "", value: Uint8Array.from(r.body) }));
  },
  contract: async (db, limit) => {
    const { rows } = await sql<{ id: string; kind: string; body: Uint8Array; publisher: string }>`
      select c.id, c.kind, c.body, c.publisher from contracts c
      where not exists (select 1 from delta_items d where d.kind = 'contract' and d.key = c.id)
      order by c.created_at_ms, c.id limit ${limit}`.execute(db);
    return rows.map((r) => ({
      kind: "contract", key: r.id, version: "",
      value: canonicalBytes(ContractRecordSchema, create(ContractRecordSchema, { kind: r.kind, body: r.body, publisher: r.publisher })),
    }));
  },
  problem: async (db, limit) => {
    const { rows } = await sql<{ id: string; body: Uint8Array }>`
      select p.id, p.body from problems p
      where not exists (select 1 from delta_items d where d.kind = 'problem' and d.key = p.id)
      order by p.created_at_ms, p.id limit ${limit}`.execute(db);
    return rows.map((r) => ({ kind: "problem", key: r.id, version: "", value: problemSyncView(Uint8Array.from(r.body)).value }));
  },
  // Signals, their statuses and job outcomes only of problems whose market view is exact:
  // the SQL narrows to public problems, and `crosses` asks the privacy hook for each one.
  signal: async (db, limit) => {
    const { rows } = await sql<{ id: string; body: Uint8Array; problem_body: Uint8Array }>`
      select s.id, s.body, p.body as problem_body from signals s join problems p on p.id = s.problem_id
      where p.visibility = ${PUBLIC} and not exists (select 1 from delta_items d where d.kind = 'signal' and d.key = s.id)
      order by s.created_at_ms, s.id limit ${limit}`.execute(db);
    return rows.filter((r) => crosses(r.problem_body)).map((r) => ({ kind: "signal", key: r.id, version: "", value: Uint8Array.from(r.body) }));
  },
  signal_status: async (db, limit) => {
    const { rows } = await sql<{ id: string; status: string; problem_body: Uint8Array }>`
      select s.id, s.status, p.body as problem_body from signals s join problems p on p.id = s.problem_id
      where p.visibility = ${PUBLIC} and not exists (select 1 from delta_items d where d.kind = 'signal_status' and d.key = s.id and d.version = s.status)
      order by s.created_at_ms, s.id limit ${limit}`.execute(db);
    return rows.filter((r) => crosses(r.problem_body)).map((r) => ({
      kind: "signal_status", key: r.id, version: r.status,
      value: canonicalBytes(SignalStatusRecordSchema, create(SignalStatusRecordSchema, { signalId: r.id, status: r.status })),
    }));
  },
  job_outcome: async (db, limit) => {
    const { rows } = await sql<{ id: string; problem_id: string; plan: Uint8Array; state: string; signal_id: string; attempts: number; check_of: string; problem_body: Uint8Array }>`
      select j.id, j.problem_id, j.plan, j.state, j.signal_id, j.attempts, j.check_of, p.body as problem_body from jobs j join problems p on p.id = j.problem_id
      where j.owner = '' and p.visibility = ${PUBLIC} and j.state in ('succeeded', 'dead')
        and not exists (select 1 from delta_items d where d.kind = 'job_outcome' and d.key = j.id and d.version = j.state)
      order by j.updated_at_ms, j.id limit ${limit}`.execute(db);
    return rows.filter((r) => crosses(r.problem_body)).map((r) => ({
      kind: "job_outcome", key: r.id, version: r.state,
      value: toBinary(JobOutcomeSchema, create(JobOutcomeSchema, {
        jobId: r.id, problemId: r.problem_id, plan: r.plan, state: r.state, signalId: r.signal_id, attempts: r.attempts, checkOf: r.check_of,
      })),
    }));
  },
  release: async (db, limit) => {
    const { rows } = await sql<Database["privacy_releases"]>`
      select r.* from privacy_releases r
      where not exists (select 1 from delta_items d where d.kind = 'release' and d.key = r.subject || '/' || r.quantity)
      order by r.released_at_ms, r.subject, r.quantity limit ${limit}`.execute(db);
    return rows.map((r) => ({
      kind: "release", key: `${r.subject}/${r.quantity}`, version: "",
      value: canonicalBytes(ReleaseRecordSchema, create(ReleaseRecordSchema, {
        subject: r.subject, quantity: r.quantity, value: r.value, clampMin: r.clamp_min, clampMax: r.clamp_max, mechanism: r.mechanism,
        mechanismParameter: r.mechanism_parameter, accountant: r.accountant, cost: r.cost, releasedAtMs: BigInt(r.released_at_ms),
      })),
    }));
  },
  // A public problem's campaigns (strategy, seed, budget, plan set, batches), so a log replays
  // the search's decisions; a new version per batch, state change or handoff.
  campaign: async (db, limit) => {
    const { rows } = await sql<CampaignRow & { problem_body: Uint8Array }>`
      select c.*, p.body as problem_body from campaigns c join problems p on p.id = c.problem_id
      where p.visibility = ${PUBLIC} and not exists (select 1 from delta_items d where d.kind = 'campaign' and d.key = c.id and d.version = c.state || ':' || c.batches || ':' || c.holder)
      order by c.updated_at_ms, c.id limit ${limit}`.execute(db);
    const out: Candidate[] = [];
    for (const { problem_body: body, ...row } of rows) {
      if (!crosses(body)) continue;
      out.push({ kind: "campaign", key: row.id, version: `${row.state}:${row.batches}:${row.holder}`, value: canonicalBytes(CampaignSchema, await campaignToProto(db, row, true)) });
    }
    return out;
  },
};

function crosses(problemBody: Uint8Array): boolean {
  return problemSyncView(Uint8Array.from(problemBody)).signalsCross;
}

/**
 * Up to `limit` changes the node committed that its delta log does not carry yet, kind by
 * kind in DELTA_KINDS order (a problem before its signals, a signal before its status).
 */
export async function collectChanges(db: Kysely<Database>, limit: number): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const kind of DELTA_KINDS) {
    if (out.length >= limit) break;
    out.push(...(await COLLECTORS[kind](db, limit - out.length)));
  }
  return out;
}

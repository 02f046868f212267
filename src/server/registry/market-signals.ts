import { create, fromBinary } from "@bufbuild/protobuf";
import { invalidArgument } from "../../kernel/errors/index.js";
import { Compiler, Objective } from "../../gen/openpassmarket/v1/common_pb.js";
import type { LocalProblem } from "../../gen/openpassmarket/v1/problem_pb.js";
import {
  ListMarketSignalsResponseSchema,
  MarketSignalSchema,
  type ListMarketSignalsRequest,
  type ListMarketSignalsResponse,
  type MarketSignal,
} from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { PerformanceSignalSchema, SignalStatus } from "../../gen/openpassmarket/v1/signal_pb.js";
import type { CallContext } from "../rpc/index.js";
import { IMPROVEMENT_BP, readRelease, releaseToProto } from "../privacy/index.js";
import { marketViewOf } from "./market-view.js";
import { callerParticipant } from "./participant-of.js";
import type { ProblemCache } from "./problem-cache.js";
import { signalStatusText } from "./signal-status.js";
import { requireEnum } from "./validate.js";

const DEFAULT_LIMIT = 500;
const MAX_LIMIT = 1000;

/** A position in the market feed: signals are ordered by (created_at_ms, id), both immutable. */
interface Cursor {
  createdAtMs: number;
  id: string;
}

const CURSOR = /^(0|[1-9][0-9]{0,15}):([0-9a-f]{64})$/;

/** The cursor `text` (`<created_at_ms>:<signal id>`); empty is none. Throws invalid_argument naming `field`. */
export function parseMarketCursor(text: string, field: string): Cursor | undefined {
  if (text === "") return undefined;
  const m = CURSOR.exec(text);
  const createdAtMs = Number(m?.[1]);
  if (m === null || !Number.isSafeInteger(createdAtMs)) {
    throw invalidArgument(field, `${JSON.stringify(text.slice(0, 100))} is not a cursor from next_after`);
  }
  return { createdAtMs, id: m[2]! };
}

function formatCursor(c: Cursor): string {
  return `${c.createdAtMs}:${c.id}`;
}

/**
 * What the market measured on other participants' problems, for strategies to learn
 * from: ACCEPTED signals only (never provisional or refused), oldest first, each shown as
 * `marketViewOf` allows — public problems exactly, private ones by their releases only — and
 * never the caller's own problems nor any IR. Pages look at up to `limit` signals after
 * the cursor `after` (and, given `until`, at or before that cursor: the market as a campaign
 * first read it); signals are ordered by (created_at_ms, id), so paging returns each
 * signal once. A signal accepted later by a spot check keeps its place in that order: a
 * client that resumes from an old `next_after` does not see it. Bad filters, limits and
 * cursors are INVALID_ARGUMENT naming the field.
 */
export async function listMarketSignals(ctx: CallContext, problems: ProblemCache, req: ListMarketSignalsRequest): Promise<ListMarketSignalsResponse> {
  if (req.compiler !== Compiler.UNSPECIFIED) requireEnum(req.compiler, Compiler, "compiler");
  if (req.objective !== Objective.UNSPECIFIED) requireEnum(req.objective, Objective, "objective");
  const limit = req.limit === 0 ? DEFAULT_LIMIT : req.limit;
  if (limit > MAX_LIMIT) throw invalidArgument("limit", `${req.limit} is not in 1..${MAX_LIMIT} (0 means ${DEFAULT_LIMIT})`);
  const after = parseMarketCursor(req.after, "after");
  const until = parseMarketCursor(req.until, "until");
  const caller = await callerParticipant(ctx);

  let q = ctx.db.selectFrom("signals").innerJoin("problems", "problems.id", "signals.problem_id")
    .select(["signals.id", "signals.problem_id", "signals.body", "signals.created_at_ms"])
    .where("signals.status", "=", signalStatusText(SignalStatus.ACCEPTED))
    .where("problems.participant", "<>", caller);
  if (req.compiler !== Compiler.UNSPECIFIED) q = q.where("problems.compiler", "=", req.compiler);
  if (req.objective !== Objective.UNSPECIFIED) q = q.where("problems.objective", "=", req.objective);
  // Feed positions compared as (created_at_ms, id) row values: after `after`, up to `until`.
  if (after !== undefined) q = q.where((eb) => eb(eb.refTuple("signals.created_at_ms", "signals.id"), ">", eb.tuple(after.createdAtMs, after.id)));
  if (until !== undefined) q = q.where((eb) => eb(eb.refTuple("signals.created_at_ms", "signals.id"), "<=", eb.tuple(until.createdAtMs, until.id)));
  const rows = await q.orderBy("signals.created_at_ms").orderBy("signals.id").limit(limit + 1).execute();
  const page = rows.slice(0, limit);

  const seen = new Map<string, LocalProblem>();
  const signals: MarketSignal[] = [];
  for (const row of page) {
    let problem = seen.get(row.problem_id);
    if (problem === undefined) {
      problem = await problems.get(ctx, row.problem_id, "problem_id");
      seen.set(row.problem_id, problem);
    }
    const view = marketViewOf(problem, caller);
    if (view.kind === "withheld") continue;
    const s = fromBinary(PerformanceSignalSchema, row.body);
    const common = {
      signalId: row.id, problemId: row.problem_id, compiler: problem.compiler, objective: problem.objective,
      compilerVersion: s.compilerVersion, features: [...view.features], pipeline: s.pipeline,
    };
    if (view.kind === "exact") {
      signals.push(create(MarketSignalSchema, { ...common, baseline: s.baseline, achieved: s.achieved }));
      continue;
    }
    // Released only: the stored release, never the signal's metrics.
    const release = await readRelease(ctx.db, row.id, IMPROVEMENT_BP);
    if (release !== undefined) signals.push(create(MarketSignalSchema, { ...common, release: releaseToProto(release, row.problem_id) }));
  }
  const last = page.at(-1);
  return create(ListMarketSignalsResponseSchema, {
    signals,
    nextAfter: last === undefined ? req.after : formatCursor({ createdAtMs: last.created_at_ms, id: last.id }),
    hasMore: rows.length > limit,
  });
}

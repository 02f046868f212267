import { create, fromBinary } from "@bufbuild/protobuf";
import { canonicalBytes } from "../../kernel/codec/index.js";
import { LocalProblemSchema, type LocalProblem } from "../../gen/openpassmarket/v1/problem_pb.js";
import { marketViewOf } from "../registry/index.js";

/**
 * The caller name under which other nodes see this node's market: never a participant's
 * name, so no problem is "their own" and every decision goes through the privacy hook.
 */
export const SYNC_CALLER = "peer-node:";

/** What of one stored problem crosses to another node. */
export interface ProblemSyncView {
  /** Canonical bytes of the LocalProblem that crosses. */
  value: Uint8Array;
  /** Whether its signals and job outcomes cross too (its market view is exact). */
  signalsCross: boolean;
}

/**
 * What of `body` (a stored LocalProblem) crosses to another node, decided by
 * `marketViewOf` — the one privacy hook. An exact view: the problem as stored (a public
 * problem's owner shared its IR and runs). Anything else: only features and digests
 * (compiler, version, objective, visibility, IR and runs digests, IR format) — never IR,
 * runs, baseline, label, constraints or the participant — and none of its signals.
 */
export function problemSyncView(body: Uint8Array): ProblemSyncView {
  const problem = fromBinary(LocalProblemSchema, body);
  if (marketViewOf(problem, SYNC_CALLER).kind === "exact") return { value: body, signalsCross: true };
  return { value: canonicalBytes(LocalProblemSchema, privateView(problem)), signalsCross: false };
}

function privateView(p: LocalProblem): LocalProblem {
  return create(LocalProblemSchema, {
    compiler: p.compiler, compilerVersion: p.compilerVersion, objective: p.objective, irDigest: p.irDigest,
    irFormat: p.irFormat, features: p.features, visibility: p.visibility, runsDigest: p.runsDigest,
  });
}

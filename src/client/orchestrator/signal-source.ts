import type { PlanSet } from "../../gen/openpassmarket/v1/planset_pb.js";
import { RegistryService } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import { planSetVersion, releasedMetrics, verifyPlanSet, type PlanSetSignal } from "../../kernel/planset/index.js";
import { compilerToProto, objectiveToProto, planFromProto, type CompilerKind, type Objective } from "../../kernel/plan/index.js";
import type { RpcClient } from "../../kernel/wire/index.js";

/**
 * One result the market measured on another participant's problem, as the caller may see
 * it: what a plan set learns from (a public problem's signal as measured, a release as a
 * relative metric).
 */
export type MarketSignal = PlanSetSignal;

/** Which signals a strategy asks for. */
export interface MarketQuery {
  compiler: CompilerKind;
  objective: Objective;
  /** Stop after this many signals; default 5,000. */
  max?: number;
}

/**
 * Where a strategy reads what the whole market measured: accepted signals on other
 * participants' problems (a registry's `ListMarketSignals`), or a recorded set when a run
 * is replayed offline. Never the caller's own problems, never IR.
 */
export interface SignalSource {
  list(query: MarketQuery): Promise<MarketSignal[]>;
  /**
   * The newest plan set the source holds for a compiler version and objective (or the one
   * of `query.version`: a resumed or replayed campaign's), its signature checked;
   * undefined when it has none (or cannot hold any: a recorded set).
   */
  newestPlanSet?(query: PlanSetQuery): Promise<LoadedPlanSet | undefined>;
  /**
   * Set for a resumed or replayed campaign: the version of the plan set it recorded, ""
   * when it used none. A strategy then uses exactly that set (`loadPlanSet`).
   */
  pinnedPlanSet?: string;
  /**
   * How far `list` has read the market: a registry cursor (`<created_at_ms>:<signal id>`,
   * `EMPTY_MARKET_CURSOR` when the market it read was empty), "" before any read. A
   * campaign records it, and its resume reads the market up to it again.
   */
  marketCursor?(): string;
}

/** The cursor of a read that found the market empty: before every signal (ids are SHA-256 hex). */
export const EMPTY_MARKET_CURSOR = `0:${"0".repeat(64)}`;

/** Cursor order: creation time, then signal id (the registry's feed order). */
function laterCursor(a: string, b: string): string {
  if (a === "") return b;
  const [am, aid] = a.split(":"), [bm, bid] = b.split(":");
  return Number(am) > Number(bm) || (Number(am) === Number(bm) && aid! > bid!) ? a : b;
}

/** Which plan set a strategy asks for. */
export interface PlanSetQuery {
  compiler: CompilerKind;
  compilerVersion: string;
  objective: Objective;
  /** One version (its content id) instead of the newest: a campaign recorded which it used. */
  version?: string;
}

/** A plan set whose signature verified, with its version and who signed it. */
export interface LoadedPlanSet {
  planSet: PlanSet;
  version: string;
  /** The signer's key id (a registry: the node's key). */
  keyId: string;
  /** Its reference in the registry's contract graph, when it came from one. */
  ref?: string;
}

/** A signal source with nothing in it: a strategy that learns from the market starts cold. */
export const EMPTY_SIGNAL_SOURCE: SignalSource = { list: async () => [] };

/** A fixed set of signals (a recorded run, a test), filtered by nothing: the caller chose them. */
export function recordedSignalSource(signals: readonly MarketSignal[]): SignalSource {
  return { list: async ({ max = 5000 }) => signals.slice(0, max) };
}

/**
 * The registry's `ListMarketSignals`, paged until `max` signals or the end (given `until`,
 * a recorded `marketCursor`: only the signals up to it, the market as a campaign first read
 * it); and its newest plan set (`GetPlanSet`), refused unless signed by the key the registry names — or, given
 * `trustedPlanSetKeys`, by one of those — and for the compiler version and objective asked.
 */
export function registrySignalSource(registry: RpcClient<(typeof RegistryService)["method"]>, trustedPlanSetKeys?: readonly string[], until = ""): SignalSource {
  let reached = "";
  return {
    marketCursor: () => reached,
    async newestPlanSet(query) {
      const request = query.version !== undefined && query.version !== "" ? { version: query.version }
        : { compiler: compilerToProto(query.compiler), compilerVersion: query.compilerVersion, objective: objectiveToProto(query.objective) };
      const response = await registry.getPlanSet(request)
        .catch((err: unknown) => {
          if (err instanceof OpmError && err.code === "not_found") return undefined;
          throw err;
        });
      const stored = response?.stored;
      if (stored?.planSet === undefined) return undefined;
      return checkStoredPlanSet(stored.planSet, stored.publicKey, stored.version, query, trustedPlanSetKeys, stored.ref);
    },
    async list({ compiler, objective, max = 5000 }) {
      const out: MarketSignal[] = [];
      for (let after = ""; out.length < max; ) {
        const page = await registry.listMarketSignals({ compiler: compilerToProto(compiler), objective: objectiveToProto(objective), limit: 1000, after, until });
        reached = laterCursor(reached, page.nextAfter || EMPTY_MARKET_CURSOR);
        for (const s of page.signals) {
          // A private problem's result arrives as a release (an improvement in basis points):
          // read as a relative metric, clamped to its range (post-processing, free of privacy
          // cost), as the registry node reads it when it builds a plan set.
          const metrics = s.release === undefined ? { baseline: s.baseline, achieved: s.achieved } : releasedMetrics(s.release.value, s.release.clampMin, s.release.clampMax);
          out.push({
            signalId: s.signalId, problemId: s.problemId, compilerVersion: s.compilerVersion,
            features: Object.fromEntries(s.features.map((f) => [f.name, f.value])),
            plan: planFromProto(s.pipeline),
            ...metrics,
          });
        }
        if (!page.hasMore) break;
        after = page.nextAfter;
      }
      return out.slice(0, max);
    },
  };
}

/**
 * Checks a plan set a registry served: signed by `publicKey` (one of `trusted` when given),
 * the version it was served as, and for the compiler, version and objective asked. Throws
 * unauthenticated for a bad or missing signature (a tampered or unsigned plan set) and
 * failed_precondition for a set of another chain.
 */
export function checkStoredPlanSet(set: PlanSet, publicKey: Uint8Array, servedVersion: string, query: PlanSetQuery, trusted?: readonly string[], ref?: string): LoadedPlanSet {
  const version = verifyPlanSet(set, publicKey, trusted);
  if (version !== servedVersion || (query.version !== undefined && query.version !== "" && version !== query.version)) throw new OpmError("unauthenticated", `the registry served plan set ${servedVersion} but its content is ${version}`, { field: "version" });
  if (set.compiler !== compilerToProto(query.compiler) || set.objective !== objectiveToProto(query.objective) || set.compilerVersion !== query.compilerVersion) {
    throw new OpmError("failed_precondition", `the registry served plan set ${version} for another compiler, version or objective than ${query.compiler} ${query.compilerVersion} ${query.objective}`, { field: "plan_set" });
  }
  return { planSet: set, version: planSetVersion(set), keyId: set.signature!.keyId, ...(ref === undefined || ref === "" ? {} : { ref }) };
}

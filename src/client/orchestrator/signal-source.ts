import { RegistryService } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { compilerToProto, objectiveToProto, type CompilerKind, type Objective, type Plan } from "../../kernel/plan/index.js";
import type { RpcClient } from "../../kernel/wire/index.js";

/** One result the market measured on another participant's problem, as the caller may see it. */
export interface MarketSignal {
  signalId: string;
  problemId: string;
  compilerVersion: string;
  features: Readonly<Record<string, number>>;
  plan: Plan;
  baseline: number;
  achieved: number;
}

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
}

/** A signal source with nothing in it: a strategy that learns from the market starts cold. */
export const EMPTY_SIGNAL_SOURCE: SignalSource = { list: async () => [] };

/** A fixed set of signals (a recorded run, a test), filtered by nothing: the caller chose them. */
export function recordedSignalSource(signals: readonly MarketSignal[]): SignalSource {
  return { list: async ({ max = 5000 }) => signals.slice(0, max) };
}

/** The registry's `ListMarketSignals`, paged until `max` signals or the end. */
export function registrySignalSource(registry: RpcClient<(typeof RegistryService)["method"]>): SignalSource {
  return {
    async list({ compiler, objective, max = 5000 }) {
      const out: MarketSignal[] = [];
      for (let after = ""; out.length < max; ) {
        const page = await registry.listMarketSignals({ compiler: compilerToProto(compiler), objective: objectiveToProto(objective), limit: 1000, after });
        for (const s of page.signals) {
          // A private problem's result arrives as a release (an improvement in basis points):
          // read as a relative metric, baseline 10000 (post-processing, free of privacy cost).
          const metrics = s.release === undefined ? { baseline: s.baseline, achieved: s.achieved } : { baseline: 10_000, achieved: 10_000 - Number(s.release.value) };
          out.push({
            signalId: s.signalId, problemId: s.problemId, compilerVersion: s.compilerVersion,
            features: Object.fromEntries(s.features.map((f) => [f.name, f.value])),
            plan: { steps: s.pipeline.map((p) => (p.value === "" ? { pass: p.pass } : { pass: p.pass, value: p.value })) },
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

import { RegistryService } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { isOpmError } from "../../kernel/errors/index.js";
import type { Logger } from "../../kernel/logger/index.js";
import type { RpcClient } from "../../kernel/wire/index.js";
import { formatAmount, measureOf, parseAccountant } from "../../privacy/index.js";

/**
 * What a search released of a private problem's result: the release the registry made (or
 * had made before) of the best result's improvement, and what it cost; or why nothing was
 * released (the budget could not pay, the caller is not a lead…).
 */
export type ReleaseReport =
  | {
    released: true;
    signalId: string;
    /** `improvement-bp`: the improvement over the baseline in basis points. */
    quantity: string;
    /** The clamped, noised value everyone else sees. */
    value: number;
    clamp: [number, number];
    mechanism: string;
    accountant: string;
    /** `ε 0.25` or `ρ 0.03125`: what this release cost (0 when it was made before). */
    cost: string;
    /** `ε 0.75 of 1`: what is left of the budget. */
    remaining: string;
    /** The policy the budget follows (a ledger entry, or the built-in default). */
    policy: string;
    /** False when the result had been released before (nothing was charged now). */
    charged: boolean;
  }
  | { released: false; signalId: string; code: string; reason: string };

/**
 * Releases the best result of a private problem once its search ended (ReleaseResult): the
 * orchestrator's one release per search. A refusal (RESOURCE_EXHAUSTED, PERMISSION_DENIED…)
 * does not fail the search: it is reported, and nothing about the result left the organisation.
 */
export async function releaseBest(registry: RpcClient<(typeof RegistryService)["method"]>, problemId: string, signalId: string, log: Logger): Promise<ReleaseReport> {
  try {
    const r = await registry.releaseResult({ problemId, signalId });
    const rel = r.release!, budget = r.budget!;
    const m = measureOf(parseAccountant(rel.accountant));
    return {
      released: true, signalId, quantity: rel.quantity, value: Number(rel.value), clamp: [Number(rel.clampMin), Number(rel.clampMax)],
      mechanism: rel.mechanism, accountant: rel.accountant, cost: `${m} ${r.charged ? formatAmount(rel.costNano) : "0"}`,
      remaining: `${m} ${formatAmount(budget.remainingNano)} of ${formatAmount(budget.totalNano)}`, policy: budget.policy, charged: r.charged,
    };
  } catch (err) {
    if (!isOpmError(err)) throw err;
    log.warn("the best result was not released", { problemId, signalId, code: err.code, message: err.message });
    return { released: false, signalId, code: err.code, reason: err.message };
  }
}

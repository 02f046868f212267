import type { Feature } from "../../gen/openpassmarket/v1/common_pb.js";
import { Visibility, type LocalProblem } from "../../gen/openpassmarket/v1/problem_pb.js";

/**
 * What a caller may see of the accepted signals on one problem in the market view
 * (ListMarketSignals): `exact` — the signals as measured, with these problem features —,
 * `released` — only the signals whose result was released (a DP release, served as made),
 * never their exact metrics —, or `withheld` — nothing at all.
 */
export type MarketView =
  | { kind: "exact"; features: readonly Feature[] }
  | { kind: "released"; features: readonly Feature[] }
  | { kind: "withheld" };

/**
 * THE privacy hook of the market view: what `caller` (a participant name, see
 * `participantOf`) may see of `problem`'s signals. Every entry ListMarketSignals returns
 * goes through here, and IR never does (a view carries the features only).
 *
 * - A public problem's owner shared its IR, so its signals are shown `exact`.
 * - A private problem is `released`: others see its features (released raw) and, of its
 *   signals, only those released (one noised, clamped value, made once and charged to the
 *   owner's PrivacyBudget, then served to everyone as it is) — never an exact metric.
 * - The caller's own problems are `withheld`: the market view is about what others
 *   measured (the caller reads its own through ListSignals and GetJobs).
 */
export function marketViewOf(problem: LocalProblem, caller: string): MarketView {
  if (problem.participant === caller) return { kind: "withheld" };
  if (problem.visibility === Visibility.PUBLIC) return { kind: "exact", features: problem.features };
  return { kind: "released", features: problem.features };
}

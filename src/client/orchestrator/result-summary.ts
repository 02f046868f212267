import type { Objective } from "../../kernel/plan/index.js";

/** What each objective's metric counts, as `opm optimize` names it next to the number. */
export const METRIC_UNITS: Readonly<Record<Objective, string>> = {
  "ir-instcount": "IR instructions",
  "text-size": "bytes of .text",
  "code-size": "bytes of machine code",
};

/**
 * `best` against `baseline` as a signed percentage with one decimal: `-3.6%` (smaller),
 * `+1.2%` (larger), `0.0%` (the same, or a change under 0.05%). Requires `baseline > 0`.
 */
export function percentChange(baseline: number, best: number): string {
  const change = ((best - baseline) / baseline) * 1000;
  const tenths = Math.sign(change) * Math.round(Math.abs(change));
  if (tenths === 0) return "0.0%";
  return `${tenths > 0 ? "+" : "-"}${(Math.abs(tenths) / 10).toFixed(1)}%`;
}

/** Failed evaluations counted by the code of their last error, and the first message of each code. */
export interface FailureTally {
  /** `{ "verification_failed": 3, "compiler_failed": 1 }`, codes in order of first appearance. */
  byReason: Record<string, number>;
  /** The first message seen for each code of `byReason`. */
  firstMessages: Record<string, string>;
}

/** Tallies `failures` by code (see `FailureTally`). */
export function tallyFailures(failures: ReadonlyArray<{ code: string; message: string }>): FailureTally {
  const byReason: Record<string, number> = {};
  const firstMessages: Record<string, string> = {};
  for (const f of failures) {
    byReason[f.code] = (byReason[f.code] ?? 0) + 1;
    firstMessages[f.code] ??= f.message;
  }
  return { byReason, firstMessages };
}

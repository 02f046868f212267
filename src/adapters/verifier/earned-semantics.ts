import type { LayerResult } from "./verdict.js";

/** A function the transform changed, with its size in the transformed program. */
export interface ChangedFunction {
  name: string;
  instructions: number;
  /** Defined only by the transformed program (outlined, specialised). */
  added: boolean;
}

/** What function-level testing found for changed functions no run entered. */
export interface DirectTests {
  agreed: readonly string[];
  untestable: readonly { fn: string; why: string }[];
  callsPerFunction: number;
}

/** The default share of changed instructions that runs or direct tests must cover: all of them. */
export const DEFAULT_REQUIRED_COVERAGE = 1;

/**
 * How much of what the transform changed the evidence reached. A changed function is
 * covered when a reference run entered it, when direct tests of it agreed, or — for a
 * function only the transformed program defines — when its callers are covered (it
 * has no original to compare with; it is reached only through them). A changed function
 * outside `reachable` (the functions the program can run at all, when the compiler knows
 * them) cannot change the program's behaviour and needs no evidence. The layer passes
 * when the covered share of changed instructions is at least `required` (default: all),
 * and is undecided otherwise, naming what nothing exercised.
 */
export function judgeCoverage(options: {
  runsEvidence: string;
  changed: readonly ChangedFunction[];
  executed: ReadonlySet<string>;
  /** The functions the program can run; default: all. */
  reachable?: ReadonlySet<string>;
  direct?: DirectTests;
  required?: number;
}): LayerResult {
  const required = options.required ?? DEFAULT_REQUIRED_COVERAGE;
  const agreed = new Set(options.direct?.agreed ?? []);
  const live = options.changed.filter((f) => f.added || options.reachable === undefined || options.reachable.has(f.name));
  const unreachable = options.changed.length - live.length;
  const original = live.filter((f) => !f.added);
  const byRuns = original.filter((f) => options.executed.has(f.name));
  const byTests = original.filter((f) => !options.executed.has(f.name) && agreed.has(f.name));
  const uncovered = original.filter((f) => !options.executed.has(f.name) && !agreed.has(f.name));
  const total = original.reduce((n, f) => n + f.instructions, 0);
  const missing = uncovered.reduce((n, f) => n + f.instructions, 0);
  const share = total === 0 ? 1 : (total - missing) / total;
  const why = new Map((options.direct?.untestable ?? []).map((u) => [u.fn, u.why]));
  const added = live.length - original.length;
  const summary =
    `${original.length} changed function(s) the program can run${added > 0 ? ` (+${added} new, reached through them)` : ""}` +
    `${unreachable > 0 ? ` (+${unreachable} it never calls)` : ""}: ` +
    `${byRuns.length} entered by the runs, ${byTests.length} tested directly` +
    `${options.direct ? ` (${options.direct.callsPerFunction} calls each)` : ""}, ${uncovered.length} not exercised; ` +
    `${(share * 100).toFixed(1)} % of changed instructions covered (required ${(required * 100).toFixed(1)} %)`;
  const list = (fns: readonly ChangedFunction[]): string => fns.slice(0, 12).map((f) => f.name).join(", ") + (fns.length > 12 ? `, … ${fns.length - 12} more` : "");
  const details = [
    byRuns.length > 0 ? `entered: ${list(byRuns)}` : "",
    byTests.length > 0 ? `tested directly: ${list(byTests)}` : "",
    uncovered.length > 0 ? `not exercised: ${uncovered.slice(0, 12).map((f) => `${f.name} (${why.get(f.name) ?? "no run entered it"})`).join(", ")}${uncovered.length > 12 ? `, … ${uncovered.length - 12} more` : ""}` : "",
  ].filter((d) => d !== "").join("; ");
  if (share + 1e-12 >= required) {
    return { name: "semantics", ok: true, evidence: `${options.runsEvidence}; coverage: ${summary}${details ? `; ${details}` : ""}` };
  }
  return {
    name: "semantics", ok: false, decided: false,
    evidence: `undecided: the runs agree but do not exercise what the transform changed — ${summary}; ${details}. ` +
      "Add runs (`opm optimize --run`) that reach these functions. Runs: " + options.runsEvidence,
  };
}

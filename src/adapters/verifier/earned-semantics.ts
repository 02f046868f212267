import type { LayerResult } from "./verdict.js";

/** A function the transform changed, with its size in the transformed program. */
export interface ChangedFunction {
  name: string;
  instructions: number;
  /** Defined only by the transformed program (outlined, specialised). */
  added: boolean;
  /**
   * Per block of the transformed function, in order: its instructions when no block of
   * the original is the same, 0 when one is. Absent: the compiler cannot tell blocks apart
   * (GCC's objects), and the function counts as a whole.
   */
  changedBlocks?: readonly number[];
}

/** What function-level testing found for changed functions no run entered. */
export interface DirectTests {
  agreed: readonly string[];
  untestable: readonly { fn: string; why: string }[];
  callsPerFunction: number;
}

/** The default share of changed instructions that runs or direct tests must cover: all of them. */
export const DEFAULT_REQUIRED_COVERAGE = 1;

/** Which blocks of the transformed program executed (`block-coverage.ts`), by function, in the runs and in direct tests. */
export interface BlockEvidence {
  runs: ReadonlyMap<string, ReadonlySet<number>>;
  direct?: ReadonlyMap<string, ReadonlySet<number>>;
}

/**
 * How much of what the transform changed the evidence reached. Where the compiler tells
 * changed blocks apart (`ChangedFunction.changedBlocks`) and the transformed program's
 * blocks were traced (`blocks`), a changed instruction counts as covered only when its
 * block executed — in a run, or in a direct test of its function that agreed; a function
 * only the transformed program defines (outlined code) is held to the same rule. Without
 * blocks a changed function counts as a whole: covered when a run entered it or direct
 * tests of it agreed, and new functions count as reached through their callers. A changed
 * function outside `reachable` (what the program can run at all) cannot change its
 * behaviour and needs no evidence. The layer passes when the covered share of changed
 * instructions is at least `required` (default: all), and is undecided otherwise, naming
 * what nothing exercised.
 */
export function judgeCoverage(options: {
  runsEvidence: string;
  changed: readonly ChangedFunction[];
  executed: ReadonlySet<string>;
  /** The functions the program can run; default: all. */
  reachable?: ReadonlySet<string>;
  direct?: DirectTests;
  blocks?: BlockEvidence;
  required?: number;
}): LayerResult {
  const required = options.required ?? DEFAULT_REQUIRED_COVERAGE;
  const agreed = new Set(options.direct?.agreed ?? []);
  const live = options.changed.filter((f) => f.added || options.reachable === undefined || options.reachable.has(f.name));
  const unreachable = options.changed.length - live.length;
  const blocks = options.blocks;
  const counted = live.filter((f) => !f.added || (blocks !== undefined && f.changedBlocks !== undefined));
  const why = new Map((options.direct?.untestable ?? []).map((u) => [u.fn, u.why]));
  const judged = counted.map((f) => {
    if (blocks === undefined || f.changedBlocks === undefined) {
      const how = options.executed.has(f.name) ? "runs" : agreed.has(f.name) ? "direct" : undefined;
      return { f, total: f.instructions, covered: how === undefined ? 0 : f.instructions, how, note: why.get(f.name) ?? "no run entered it" };
    }
    const ran = blocks.runs.get(f.name), tested = agreed.has(f.name) ? blocks.direct?.get(f.name) : undefined;
    let total = 0, byRuns = 0, covered = 0, open = 0;
    f.changedBlocks.forEach((n, i) => {
      if (n === 0) return;
      total += n;
      if (ran?.has(i)) byRuns += n;
      if (ran?.has(i) || tested?.has(i)) covered += n;
      else open++;
    });
    const how = covered < total ? undefined : byRuns === total ? "runs" : "direct";
    const reason = why.get(f.name) ?? (ran === undefined ? "no run entered it" : "the runs skipped it");
    return { f, total, covered, how, note: `${open} changed block(s) never executed; ${reason}` };
  });
  const byRuns = judged.filter((j) => j.how === "runs"), byTests = judged.filter((j) => j.how === "direct"), open = judged.filter((j) => j.how === undefined);
  const total = judged.reduce((n, j) => n + j.total, 0);
  const share = total === 0 ? 1 : judged.reduce((n, j) => n + j.covered, 0) / total;
  const added = live.length - live.filter((f) => !f.added).length;
  const unit = blocks !== undefined ? "executed" : "covered";
  const summary =
    `${counted.length} changed function(s) the program can run` +
    `${added > 0 && blocks === undefined ? ` (+${added} new, reached through them)` : ""}${unreachable > 0 ? ` (+${unreachable} it never calls)` : ""}: ` +
    `${byRuns.length} ${blocks !== undefined ? "executed by the runs" : "entered by the runs"}, ${byTests.length} completed by direct tests` +
    `${options.direct ? ` (${options.direct.callsPerFunction} calls each)` : ""}, ${open.length} not exercised; ` +
    `${(share * 100).toFixed(1)} % of changed instructions ${unit} (required ${(required * 100).toFixed(1)} %)` +
    `${blocks !== undefined ? ", counted by basic block" : ", counted by function"}`;
  const list = (js: readonly { f: ChangedFunction }[]): string => js.slice(0, 12).map((j) => j.f.name).join(", ") + (js.length > 12 ? `, … ${js.length - 12} more` : "");
  const details = [
    byRuns.length > 0 ? `by the runs: ${list(byRuns)}` : "",
    byTests.length > 0 ? `with direct tests: ${list(byTests)}` : "",
    open.length > 0 ? `not exercised: ${open.slice(0, 12).map((j) => `${j.f.name} (${j.note})`).join(", ")}${open.length > 12 ? `, … ${open.length - 12} more` : ""}` : "",
  ].filter((d) => d !== "").join("; ");
  if (share + 1e-12 >= required) {
    return { name: "semantics", ok: true, evidence: `${options.runsEvidence}; coverage: ${summary}${details ? `; ${details}` : ""}` };
  }
  return {
    name: "semantics", ok: false, decided: false,
    evidence: `undecided: the runs agree but do not exercise what the transform changed — ${summary}; ${details}. ` +
      "Add runs (`opm optimize --run`) that reach this code. Runs: " + options.runsEvidence,
  };
}

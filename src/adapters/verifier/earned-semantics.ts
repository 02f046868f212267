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

/** Which blocks of the transformed program executed (`block-coverage.ts`), by function, in the runs and in direct tests. */
export interface BlockEvidence {
  runs: ReadonlyMap<string, ReadonlySet<number>>;
  direct?: ReadonlyMap<string, ReadonlySet<number>>;
}

/**
 * How much of what the transform changed the evidence reached. A changed function the
 * program can run (`reachable`; a function outside it cannot change its behaviour) is
 * covered when a run entered it, or when direct tests of it agreed — and, where its blocks
 * were traced (`ChangedFunction.changedBlocks` and `blocks`), those tests executed every
 * changed block of it (a block no block of the original matches): agreeing calls that never
 * ran the changed code prove nothing. By default the layer passes when every changed
 * function is covered; new functions (outlined code) are reached through their callers.
 * With `required`, it passes when that share of the changed instructions is covered —
 * counted by executed block where blocks were traced, by function otherwise. Either way
 * the evidence gives the share of changed instructions that executed, and otherwise the
 * layer is undecided, naming what nothing exercised.
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
  const agreed = new Set(options.direct?.agreed ?? []);
  const live = options.changed.filter((f) => f.added || options.reachable === undefined || options.reachable.has(f.name));
  const unreachable = options.changed.length - live.length;
  const blocks = options.blocks;
  const why = new Map((options.direct?.untestable ?? []).map((u) => [u.fn, u.why]));
  const judged = live.map((f) => {
    const entered = options.executed.has(f.name);
    if (blocks === undefined || f.changedBlocks === undefined) {
      const how = f.added ? "callers" : entered ? "runs" : agreed.has(f.name) ? "direct" : undefined;
      return { f, total: f.instructions, covered: how === undefined ? 0 : f.instructions, how, note: why.get(f.name) ?? "no run entered it" };
    }
    const ran = blocks.runs.get(f.name), tested = agreed.has(f.name) ? blocks.direct?.get(f.name) : undefined;
    let total = 0, covered = 0, open = 0;
    f.changedBlocks.forEach((n, i) => {
      if (n === 0) return;
      total += n;
      if (ran?.has(i) || tested?.has(i)) covered += n;
      else open++;
    });
    const directFull = tested !== undefined && covered >= total;
    const how = f.added ? "callers" : entered ? "runs" : directFull ? "direct" : undefined;
    const reason = why.get(f.name) ?? (agreed.has(f.name) ? "direct tests agreed without executing it" : entered ? "the runs skipped it" : "no run entered it");
    return { f, total, covered, how, note: `${open} changed block(s) never executed; ${reason}` };
  });
  const counted = judged.filter((j) => !j.f.added);
  const byRuns = counted.filter((j) => j.how === "runs"), byTests = counted.filter((j) => j.how === "direct"), open = counted.filter((j) => j.how === undefined);
  const traced = blocks !== undefined;
  const total = judged.reduce((n, j) => n + (traced || !j.f.added ? j.total : 0), 0);
  const executedShare = total === 0 ? 1 : judged.reduce((n, j) => n + (traced || !j.f.added ? j.covered : 0), 0) / total;
  const functionShare = (() => {
    const all = counted.reduce((n, j) => n + j.f.instructions, 0);
    return all === 0 ? 1 : counted.reduce((n, j) => n + (j.how === undefined ? 0 : j.f.instructions), 0) / all;
  })();
  const required = options.required;
  const ok = required === undefined ? open.length === 0 : (traced ? executedShare : functionShare) + 1e-12 >= required;
  const added = live.length - counted.length;
  const summary =
    `${counted.length} changed function(s) the program can run${added > 0 ? ` (+${added} new, reached through them)` : ""}` +
    `${unreachable > 0 ? ` (+${unreachable} it never calls)` : ""}: ` +
    `${byRuns.length} entered by the runs, ${byTests.length} completed by direct tests` +
    `${options.direct ? ` (${options.direct.callsPerFunction} calls each)` : ""}, ${open.length} not exercised; ` +
    (traced ? `${(executedShare * 100).toFixed(1)} % of changed instructions executed (counted by basic block)` : `${(functionShare * 100).toFixed(1)} % of changed instructions in covered functions (blocks not traced)`) +
    `; required: ${required === undefined ? "every changed function covered" : `${(required * 100).toFixed(1)} % of changed instructions`}`;
  const list = (js: readonly { f: ChangedFunction }[]): string => js.slice(0, 12).map((j) => j.f.name).join(", ") + (js.length > 12 ? `, … ${js.length - 12} more` : "");
  const details = [
    byRuns.length > 0 ? `entered: ${list(byRuns)}` : "",
    byTests.length > 0 ? `with direct tests: ${list(byTests)}` : "",
    open.length > 0 ? `not exercised: ${open.slice(0, 12).map((j) => `${j.f.name} (${j.note})`).join(", ")}${open.length > 12 ? `, … ${open.length - 12} more` : ""}` : "",
  ].filter((d) => d !== "").join("; ");
  if (ok) return { name: "semantics", ok: true, evidence: `${options.runsEvidence}; coverage: ${summary}${details ? `; ${details}` : ""}` };
  return {
    name: "semantics", ok: false, decided: false,
    evidence: `undecided: the runs agree but do not exercise what the transform changed — ${summary}; ${details}. ` +
      "Add runs (`opm optimize --run`) that reach this code. Runs: " + options.runsEvidence,
  };
}

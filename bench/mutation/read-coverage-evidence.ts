/**
 * Reads the coverage summary `judgeCoverage` (src/adapters/verifier/earned-semantics.ts)
 * writes into the semantics layer's evidence, e.g. "3 changed function(s) the program can
 * run (+1 it never calls): 2 entered by the runs, 0 tested directly, 1 not exercised;
 * 71.4 % of changed instructions covered (required 100.0 %); …; not exercised: f (no run
 * entered it)". The verdict exposes no structured form, so the benchmark parses the text;
 * `undefined` when the evidence has no summary (the layer rejected on a differing run,
 * or the wording changed).
 */
export interface CoverageSummary {
  /** Changed functions the program can run (original ones, not new). */
  canRun: number;
  /** Changed functions only the transformed program defines. */
  added: number;
  /** Changed functions the program never calls (outside the verifier's reachable set). */
  neverCalled: number;
  byRuns: number;
  byTests: number;
  notExercised: number;
  /** Covered share of changed instructions, 0…1. */
  share: number;
  /** The names listed after "not exercised:", with why (as many as the evidence lists). */
  notExercisedNames: string[];
}

const SUMMARY =
  /(\d+) changed function\(s\) the program can run(?: \(\+(\d+) new, reached through them\))?(?: \(\+(\d+) it never calls\))?: (\d+) entered by the runs, (\d+) tested directly(?: \([^)]*\))?, (\d+) not exercised; ([\d.]+) % of changed instructions covered/;

/** The summary in `evidence`, or undefined. */
export function readCoverageEvidence(evidence: string): CoverageSummary | undefined {
  const m = SUMMARY.exec(evidence);
  if (m === null) return undefined;
  const n = (i: number): number => Number(m[i] ?? 0);
  return {
    canRun: n(1), added: n(2), neverCalled: n(3), byRuns: n(4), byTests: n(5), notExercised: n(6), share: n(7) / 100,
    notExercisedNames: notExercised(evidence),
  };
}

/** `f (why), g (why), … N more` after "not exercised: " → `f (why)`, `g (why)`. */
function notExercised(evidence: string): string[] {
  const at = evidence.indexOf("not exercised: ");
  if (at < 0) return [];
  let list = evidence.slice(at + "not exercised: ".length);
  const end = list.indexOf(". Add runs");
  if (end >= 0) list = list.slice(0, end);
  const names: string[] = [];
  // A name, then its reason in parentheses (which may nest one level).
  for (const m of list.matchAll(/([-\w$.]+) \(((?:[^()]|\([^()]*\))*)\)/g)) names.push(`${m[1]} (${m[2]})`);
  return names;
}

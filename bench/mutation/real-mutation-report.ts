/**
 * The Markdown report of the real-program mutation benchmark (`real-mutation-bench.ts`):
 * mutation score per program, safety by where the mutant is, false alarms per program and
 * level, the share of changed functions covered by runs and by direct tests, and costs.
 */
import { MUTATION_KINDS, type MutationKind } from "./mutate-ir.js";
import type { CoverageSummary } from "./read-coverage-evidence.js";

export type Outcome = "accepted" | "rejected" | "undecided";

/**
 * Where a mutant is, found without the verifier: `executed` — the run executes the mutated
 * line (probe build); `entered` — the run enters its function but not that line;
 * `not-entered` — the linker keeps its function but the run never enters it; `dead` —
 * `ld --gc-sections` drops its function (nothing can call it).
 */
export type Region = "executed" | "entered" | "not-entered" | "dead";
const REGIONS: readonly Region[] = ["executed", "entered", "not-entered", "dead"];
const REGION_TEXT: Record<Region, string> = {
  executed: "the run executes the mutated line",
  entered: "function entered, mutated line not executed",
  "not-entered": "function never entered (linker keeps it)",
  dead: "function the linker drops (cannot run)",
};

export interface MutantRow {
  program: string;
  kind: MutationKind;
  fn: string;
  line: number;
  description: string;
  /** The instruction before and after the edit (`null`: removed). */
  original: string;
  mutated: string | null;
  region: Region;
  /** `opt -passes=verify` refuses the mutant (layer 1); not in the score. */
  invalid: boolean;
  /** The oracle: built and run on the program's run, its output differs from the expected. */
  changed: boolean;
  outcome: Outcome;
  rejectedBy?: string;
  verifyMs: number;
  coverage?: CoverageSummary;
  evidence: string;
}

export interface LevelRow {
  program: string;
  level: string;
  /** Verified on the cache the mutants filled (second pass), not a fresh one. */
  warm: boolean;
  optMs: number;
  verifyMs: number;
  outcome: Outcome;
  rejectedBy?: string;
  coverage?: CoverageSummary;
  evidence: string;
}

export interface ProgramCost {
  program: string;
  instructions: number;
  functions: number;
  entered: number;
  linked: number;
  prepareMs: number;
  buildMs: number;
  runMs: number;
  coverageBuildMs: number;
  coverageRunMs: number;
  /** The first verifyTransform (BEFORE against itself): reference build, runs, coverage build and runs. */
  coldVerifyMs: number;
  identity: Outcome;
  /** Per evaluation: parsing AFTER and diffing its functions with BEFORE's (what coverage adds). */
  judgeMs: number[];
}

const s = (ms: number): string => (ms / 1000).toFixed(1);
const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const pct = (n: number, d: number): string => (d === 0 ? "—" : `${((100 * n) / d).toFixed(1)} %`);

function scoreRow(name: string, rows: readonly MutantRow[]): string {
  const valid = rows.filter((r) => !r.invalid);
  const changed = valid.filter((r) => r.changed);
  const rejected = changed.filter((r) => r.outcome === "rejected");
  const by = new Map<string, number>();
  for (const r of rejected) by.set(r.rejectedBy ?? "?", (by.get(r.rejectedBy ?? "?") ?? 0) + 1);
  const count = (o: Outcome): number => valid.filter((r) => r.outcome === o).length;
  const changedAccepted = changed.filter((r) => r.outcome === "accepted").length;
  return `| ${name} | ${rows.length} | ${rows.length - valid.length} | ${changed.length} | ${rejected.length} | ${pct(rejected.length, changed.length)} | ` +
    `${[...by].map(([k, v]) => `${k} ${v}`).join(", ")} | ${changed.filter((r) => r.outcome === "undecided").length} | ` +
    `${count("rejected")} / ${count("undecided")} / ${count("accepted")} | **${changedAccepted}** | ${valid.filter((r) => !r.changed && r.outcome === "rejected").length} |`;
}

function regionRow(region: Region, rows: readonly MutantRow[]): string {
  const valid = rows.filter((r) => !r.invalid);
  const count = (o: Outcome): number => valid.filter((r) => r.outcome === o).length;
  const tested = valid.filter((r) => (r.coverage?.byTests ?? 0) > 0);
  const directlyRejected = valid.filter((r) => r.outcome === "rejected" && r.evidence.includes("direct test of")).length;
  return `| ${REGION_TEXT[region]} | ${rows.length} | ${rows.length - valid.length} | ${valid.filter((r) => r.changed).length} | ${count("rejected")} (${directlyRejected} by a direct test) | ` +
    `${count("undecided")} | ${count("accepted")} (${tested.filter((r) => r.outcome === "accepted").length} after direct tests agreed) | **${valid.filter((r) => r.changed && r.outcome === "accepted").length}** |`;
}

function coverageTotals(rows: readonly { coverage?: CoverageSummary }[]): string {
  const with_ = rows.filter((r) => r.coverage !== undefined).map((r) => r.coverage!);
  const sum = (k: keyof Omit<CoverageSummary, "share" | "notExercisedNames">): number => with_.reduce((n, c) => n + c[k], 0);
  const canRun = sum("canRun");
  return `${with_.length} verdict(s) with a coverage judgement: ${canRun} changed function(s) the program can run — ` +
    `${sum("byRuns")} entered by the runs (${pct(sum("byRuns"), canRun)}), ${sum("byTests")} tested directly (${pct(sum("byTests"), canRun)}), ` +
    `${sum("notExercised")} not exercised (${pct(sum("notExercised"), canRun)}); besides, ${sum("neverCalled")} changed function(s) the program never calls and ${sum("added")} new one(s)`;
}

/** The whole report, Markdown. */
export function reportRealMutation(r: {
  levels: readonly LevelRow[]; mutants: readonly MutantRow[]; costs: readonly ProgramCost[];
  seed: string; perProgram: number; notEntered: number; seconds: number;
}): string {
  const out: string[] = [];
  const programs = r.costs.map((c) => c.program);
  out.push(`Programs ${programs.join(", ")}; seed \`${r.seed}\`; ${r.perProgram} mutants per program (${r.notEntered} in functions the run does not enter); wall ${(r.seconds / 60).toFixed(1)} min.`, "");

  if (r.levels.length > 0) {
    const rejected = r.levels.filter((l) => l.outcome === "rejected");
    const undecided = r.levels.filter((l) => l.outcome === "undecided");
    const fresh = r.levels.filter((l) => !l.warm);
    const warmOf = (l: LevelRow): LevelRow | undefined => r.levels.find((w) => w.warm && w.program === l.program && w.level === l.level);
    out.push(`**False alarms: ${rejected.length} of ${r.levels.length}** verifications of legitimate transforms rejected (${fresh.length} transforms, each verified on a fresh cache and again on the cache the mutants filled); ${undecided.length} undecided, ${r.levels.length - rejected.length - undecided.length} accepted.`, "");
    out.push("| program | level | verdict (fresh cache) | verdict (after the mutants, same cache) | opt s | verify s (fresh / warm) | changed fns the run can reach | entered by run | tested directly | not exercised | never called | changed instructions covered | not exercised (first 6) |");
    out.push("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for (const l of fresh) {
      const w = warmOf(l);
      const c = l.coverage;
      const names = c ? c.notExercisedNames.slice(0, 6).map((n) => n.slice(0, n.indexOf(" ("))).join(", ") + (c.notExercised > 6 ? `, … ${c.notExercised - 6} more` : "") : "";
      const verdict = (x: LevelRow | undefined): string => (x === undefined ? "—" : `${x.outcome === "rejected" ? "**REJECTED**" : x.outcome}${x.rejectedBy ? ` (${x.rejectedBy})` : ""}`);
      out.push(`| ${l.program} | ${l.level} | ${verdict(l)} | ${verdict(w)} | ${s(l.optMs)} | ${s(l.verifyMs)}${w ? ` / ${s(w.verifyMs)}` : ""} | ${c?.canRun ?? "?"} | ${c?.byRuns ?? "?"} | ${c?.byTests ?? "?"} | ${c?.notExercised ?? "?"} | ${c?.neverCalled ?? "?"} | ${c ? `${(c.share * 100).toFixed(1)} %` : "?"} | ${names} |`);
    }
    for (const l of rejected) out.push(`  - FALSE ALARM ${l.program} ${l.level}${l.warm ? " (warm cache)" : ""}: ${l.evidence.slice(0, 400)}`);
    const why = new Map<string, Set<string>>();
    for (const l of undecided.filter((x) => !x.warm)) {
      for (const n of l.coverage?.notExercisedNames ?? []) {
        const reason = n.slice(n.indexOf(" (") + 2, -1).replace(/\d+/g, "N");
        why.set(reason, (why.get(reason) ?? new Set()).add(`${l.program} ${n.slice(0, n.indexOf(" ("))}`));
      }
    }
    if (why.size > 0) out.push("", "Why the functions the evidence lists were not exercised (functions listed, all levels):");
    for (const [reason, fns] of why) out.push(`  - ${reason}: ${fns.size} — ${[...fns].slice(0, 8).join(", ")}${fns.size > 8 ? ", …" : ""}`);
    out.push("", `Coverage of the legitimate transforms (fresh cache): ${coverageTotals(fresh)}.`, "");
  }

  if (r.mutants.length > 0) {
    out.push("Mutants per program (score = rejected / output-changing; invalid mutants are not in it):", "");
    out.push("| program | mutants | invalid (layer 1) | output-changing | rejected | score | rejected by (first layer) | output-changing undecided | all valid: rejected / undecided / accepted | **output-changing accepted** | unchanged output but rejected |");
    out.push("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: |");
    for (const p of programs) out.push(scoreRow(p, r.mutants.filter((m) => m.program === p)));
    out.push(scoreRow("**all**", r.mutants));
    out.push("", "By kind (all programs):", "");
    out.push("| kind | mutants | invalid (layer 1) | output-changing | rejected | score | rejected by (first layer) | output-changing undecided | all valid: rejected / undecided / accepted | **output-changing accepted** | unchanged output but rejected |");
    out.push("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: | ---: |");
    for (const k of MUTATION_KINDS) out.push(scoreRow(k, r.mutants.filter((m) => m.kind === k)));
    out.push("", "By where the mutant is (found without the verifier: probe build, profile, `ld --gc-sections`), all programs:", "");
    out.push("| where | mutants | invalid | output-changing | rejected | undecided | accepted | output-changing accepted |");
    out.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const region of REGIONS) out.push(regionRow(region, r.mutants.filter((m) => m.region === region)));
    out.push("", `Coverage of the mutants: ${coverageTotals(r.mutants)}.`);

    const line = (m: MutantRow): string => {
      const at = m.evidence.indexOf("coverage: ");
      const evidence = at >= 0 ? m.evidence.slice(at, at + 300) : m.evidence.slice(0, 300);
      return `  - ${m.program} \`@${m.fn}\` line ${m.line}, ${m.kind}: \`${m.original}\` → ${m.mutated === null ? "removed" : `\`${m.mutated}\``}; ` +
        `${REGION_TEXT[m.region]}; output ${m.changed ? "changed" : "unchanged"}; ${m.outcome}: ${evidence}`;
    };
    const bugs = r.mutants.filter((m) => !m.invalid && m.changed && m.outcome === "accepted");
    const unentered = r.mutants.filter((m) => !m.invalid && m.region === "not-entered" && m.outcome === "accepted");
    out.push("", `**Output-changing mutants accepted: ${bugs.length}.** Mutants in functions the run never enters (linker keeps them) accepted: **${unentered.length}**.`);
    for (const m of [...bugs, ...unentered]) out.push(line(m));
    const missed = r.mutants.filter((m) => !m.invalid && m.changed && m.outcome === "undecided");
    if (missed.length > 0) out.push("", "Output-changing mutants left undecided:", ...missed.map(line));
    const unreached = r.mutants.filter((m) => !m.invalid && m.region === "entered" && m.outcome === "accepted");
    if (unreached.length > 0) out.push("", `Accepted mutants in entered functions on lines the run never executes: ${unreached.length} (function-level coverage counts the function as exercised), e.g.:`, ...unreached.slice(0, 5).map(line));
    const eq = r.mutants.filter((m) => !m.invalid && !m.changed && m.outcome === "rejected");
    if (eq.length > 0) out.push("", "Output unchanged but rejected:", ...eq.slice(0, 10).map(line));
    out.push("");
  }

  out.push("Cost per program (seconds; once per problem: the reference and its coverage; per evaluation: verifyTransform with the reference cached):", "");
  out.push("| program | IR instructions | functions (entered / linked) | prepare | reference build + run | coverage build + run + profdata | first verification (cold) | per evaluation: mutant | per evaluation: O-level | coverage judgement per evaluation (parse AFTER + diff) |");
  out.push("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const c of r.costs) {
    const m = r.mutants.filter((x) => x.program === c.program).map((x) => x.verifyMs);
    const l = r.levels.filter((x) => x.program === c.program && !x.warm).map((x) => x.verifyMs);
    out.push(`| ${c.program} | ${c.instructions} | ${c.functions} (${c.entered} / ${c.linked}) | ${s(c.prepareMs)} | ${s(c.buildMs)} + ${s(c.runMs)} | ${s(c.coverageBuildMs)} + ${s(c.coverageRunMs)} | ${s(c.coldVerifyMs)} (${c.identity}) | ${m.length ? s(mean(m)) : "—"} | ${l.length ? s(mean(l)) : "—"} | ${c.judgeMs.length ? `${mean(c.judgeMs).toFixed(0)} ms` : "—"} |`);
  }
  return `${out.join("\n")}\n`;
}

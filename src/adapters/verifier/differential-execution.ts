import { runSetDigest, type RunSpec } from "../../kernel/plan/index.js";
import type { Coverage } from "./coverage.js";
import { compareRuns, DEFAULT_LIMITS, describeStatus, networkIsolation, runOfInputFile, runProgram, type ProgramRun } from "./run-program.js";
import type { LayerResult, RunLimits } from "./verdict.js";

/** The reference program's runs, or why it cannot certify a transform. */
export interface ReferenceOutcome {
  runs: ProgramRun[];
  /** Set when the reference cannot serve (undefined behaviour, a limit hit, a build that failed). */
  undecided?: string;
  /** What was done about undefined behaviour, for the evidence. */
  ubsan: string;
  /** Which functions the runs entered (a coverage build's profiles), when measured. */
  coverage?: Coverage;
}

/** The runs of a request: its run specifications, or one run with no arguments and empty stdin. */
export type Runs = readonly (RunSpec | undefined)[];

const UBSAN_ENV = { UBSAN_OPTIONS: "print_stacktrace=0:halt_on_error=1:abort_on_error=0:exitcode=86" };

/**
 * Runs the reference (unoptimised BEFORE) on every run and, when `ubsanExe` is
 * given, the UBSan build of its source too. The reference cannot certify anything
 * when it hits a limit, or when UBSan reports undefined behaviour (then the
 * optimiser may legitimately change the output), or when the UBSan build behaves
 * differently from the reference (the source is not BEFORE's).
 */
export async function runReference(
  referenceExe: string, ubsanExe: string | undefined, ubsanNote: string, specs: Runs, limits: RunLimits,
): Promise<ReferenceOutcome> {
  const runs: ProgramRun[] = [];
  for (const spec of specs) {
    const run = await runProgram(referenceExe, spec, limits);
    if (run.limit !== undefined) return { runs, ubsan: ubsanNote, undecided: `the reference was ${describeStatus(run)} on ${runName(spec)}` };
    runs.push(run);
  }
  if (ubsanExe === undefined) return { runs, ubsan: ubsanNote };
  for (const [i, spec] of specs.entries()) {
    const run = await runProgram(ubsanExe, spec, limits, UBSAN_ENV);
    const report = /^.*runtime error:.*$/m.exec(run.stderr.toString("utf8"))?.[0];
    if (report !== undefined || run.exitCode === 86) {
      return { runs, ubsan: "UBSan found undefined behaviour", undecided: `UBSan reports undefined behaviour in the reference on ${runName(spec)}: ${report ?? "exit 86"}; a program with undefined behaviour cannot certify a transform` };
    }
    const differs = compareRuns(runs[i]!, run, spec?.compare);
    if (differs !== undefined) return { runs, ubsan: "UBSan build disagrees", undecided: `the UBSan build of the C source behaves unlike BEFORE on ${runName(spec)} (${differs}): the source does not match BEFORE` };
  }
  return { runs, ubsan: "UBSan build of the source clean on every run" };
}

/**
 * Layer 3: runs the transformed program on every run and compares what each run's
 * specification compares (by default exit status, stdout and output files) with the
 * reference's runs. Agreement alone is not a pass: the caller judges coverage.
 */
export async function differentialLayer(reference: ReferenceOutcome, transformedExe: string, specs: Runs, limits: RunLimits, env: Record<string, string> = {}): Promise<LayerResult> {
  const l = { ...DEFAULT_LIMITS, ...limits };
  const setting = `limits cpu ${l.cpuSeconds} s, address space ${mib(l.memoryBytes)}, files/stdout ${mib(l.outputBytes)}, wall ${l.wallMs / 1000} s; ${networkIsolation().how}; ASLR off`;
  if (reference.undecided !== undefined) return { name: "semantics", ok: false, decided: false, evidence: `undecided: ${reference.undecided}` };
  for (const [i, spec] of specs.entries()) {
    const run = await runProgram(transformedExe, spec, limits, env);
    const differs = compareRuns(reference.runs[i]!, run, spec?.compare);
    if (differs !== undefined) return { name: "semantics", ok: false, evidence: `on ${runName(spec)}: ${differs} (${setting})` };
  }
  const names = specs.map(runName).join(", ");
  const out = reference.runs.map((r) => `${describeStatus(r)}, ${r.stdout.length} B stdout, ${r.files.size} file(s)`).join("; ");
  return { name: "semantics", ok: true, evidence: `transformed program agrees with the reference on ${specs.length} run(s) [${names}]: ${out}; ${reference.ubsan}; ${setting}` };
}

function runName(run: RunSpec | undefined): string {
  return run === undefined ? "the run with no arguments" : `run ${run.name}`;
}

function mib(n: number): string {
  return `${Math.round(n / (1024 * 1024))} MiB`;
}

/** The runs `request` asks for: its run specifications and input files, or one run with no arguments. */
export async function runsOf(request: { runs?: readonly RunSpec[]; inputs?: readonly string[] }): Promise<Runs> {
  const specs = [...(request.runs ?? []), ...(await Promise.all((request.inputs ?? []).map(runOfInputFile)))];
  return specs.length > 0 ? specs : [undefined];
}

/** A cache key for `runs`: their canonical digest (contents, not paths). */
export function runsKey(runs: Runs): string {
  return runs[0] === undefined ? "no-runs" : runSetDigest(runs as readonly RunSpec[]);
}

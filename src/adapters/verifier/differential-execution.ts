import { basename } from "node:path";
import { compareRuns, DEFAULT_LIMITS, describeStatus, networkIsolation, runProgram, type ProgramRun } from "./run-program.js";
import type { LayerResult, RunLimits } from "./verdict.js";

/** The reference program's runs, or why it cannot certify a transform. */
export interface ReferenceOutcome {
  runs: ProgramRun[];
  /** Set when the reference cannot serve (undefined behaviour, a limit hit, a build that failed). */
  undecided?: string;
  /** What was done about undefined behaviour, for the evidence. */
  ubsan: string;
}

const UBSAN_ENV = { UBSAN_OPTIONS: "print_stacktrace=0:halt_on_error=1:abort_on_error=0:exitcode=86" };

/**
 * Runs the reference (unoptimised BEFORE) on every input and, when `ubsanExe` is
 * given, the UBSan build of its source too. The reference cannot certify anything
 * when it hits a limit, or when UBSan reports undefined behaviour (then the
 * optimiser may legitimately change the output), or when the UBSan build behaves
 * differently from the reference (the source is not BEFORE's).
 */
export async function runReference(
  referenceExe: string, ubsanExe: string | undefined, ubsanNote: string, inputs: readonly (string | undefined)[], limits: RunLimits,
): Promise<ReferenceOutcome> {
  const runs: ProgramRun[] = [];
  for (const input of inputs) {
    const run = await runProgram(referenceExe, input, limits);
    if (run.limit !== undefined) return { runs, ubsan: ubsanNote, undecided: `the reference was ${describeStatus(run)} on ${inputName(input)}` };
    runs.push(run);
  }
  if (ubsanExe === undefined) return { runs, ubsan: ubsanNote };
  for (const [i, input] of inputs.entries()) {
    const run = await runProgram(ubsanExe, input, limits, UBSAN_ENV);
    const report = /^.*runtime error:.*$/m.exec(run.stderr.toString("utf8"))?.[0];
    if (report !== undefined || run.exitCode === 86) {
      return { runs, ubsan: "UBSan found undefined behaviour", undecided: `UBSan reports undefined behaviour in the reference on ${inputName(input)}: ${report ?? "exit 86"}; a program with undefined behaviour cannot certify a transform` };
    }
    const differs = compareRuns(runs[i]!, run);
    if (differs !== undefined) return { runs, ubsan: "UBSan build disagrees", undecided: `the UBSan build of the C source behaves unlike BEFORE on ${inputName(input)} (${differs}): the source does not match BEFORE` };
  }
  return { runs, ubsan: "UBSan build of the source clean on every input" };
}

/**
 * Layer 3: runs the transformed program on every input and compares exit status,
 * stdout and output files with the reference's runs.
 */
export async function differentialLayer(reference: ReferenceOutcome, transformedExe: string, inputs: readonly (string | undefined)[], limits: RunLimits): Promise<LayerResult> {
  const l = { ...DEFAULT_LIMITS, ...limits };
  const setting = `limits cpu ${l.cpuSeconds} s, address space ${mib(l.memoryBytes)}, files/stdout ${mib(l.outputBytes)}, wall ${l.wallMs / 1000} s; ${networkIsolation().how}; ASLR off`;
  if (reference.undecided !== undefined) return { name: "semantics", ok: false, decided: false, evidence: `undecided: ${reference.undecided}` };
  for (const [i, input] of inputs.entries()) {
    const run = await runProgram(transformedExe, input, limits);
    const differs = compareRuns(reference.runs[i]!, run);
    if (differs !== undefined) return { name: "semantics", ok: false, evidence: `on ${inputName(input)}: ${differs} (${setting})` };
  }
  const names = inputs.map(inputName).join(", ");
  const out = reference.runs.map((r) => `${describeStatus(r)}, ${r.stdout.length} B stdout, ${r.files.size} file(s)`).join("; ");
  return { name: "semantics", ok: true, evidence: `transformed program agrees with the reference on ${inputs.length} run(s) [${names}]: ${out}; ${reference.ubsan}; ${setting}` };
}

function inputName(input: string | undefined): string {
  return input === undefined ? "no input" : `input ${basename(input)}`;
}

function mib(n: number): string {
  return `${Math.round(n / (1024 * 1024))} MiB`;
}

import type { Plan } from "../../kernel/plan/index.js";
import type { ProblemInput } from "../framework/toolchain.js";
import type { LayerResult } from "../verifier/verdict.js";
import type { DifferentialArg, DifferentialFunction, DriverDifferential } from "./driver-protocol.js";

/** What the semantics layer asks of a toolchain: the driver's `differential` op. */
export interface DifferentialRunner {
  compareSemantics(before: ProblemInput, after: { plan: Plan } | { input: ProblemInput }): Promise<DriverDifferential>;
}

/**
 * Layer 3 for Cranelift: differential execution of every function of BEFORE and AFTER
 * in the driver's sandbox (`CraneliftToolchain.compareSemantics`, driver op
 * `differential`). AFTER is a module (`opm verify`) or BEFORE under a plan (an
 * adapter's evaluation: then it is the CLIF that `Context::compile` lowers, mid-end
 * included). Rejects when any run differs, naming the function, the arguments and
 * what differed; accepts when at least one function was compared and none differs,
 * saying how many functions and runs were compared, which (the first 12), and which were not
 * covered and why (and which imports the sandbox has no stub for); undecided when no
 * function could be compared, listing the functions (up to 20) and why each was not.
 */
export async function craneliftSemanticsLayer(
  toolchain: DifferentialRunner, before: ProblemInput, after: { plan: Plan } | { input: ProblemInput },
): Promise<LayerResult> {
  return differentialToLayer(await toolchain.compareSemantics(before, after));
}

/** The semantics layer result of one `differential` response (see `craneliftSemanticsLayer`). */
export function differentialToLayer(r: DriverDifferential): LayerResult {
  const differing = r.functions.find((f) => f.status === "differs");
  if (differing?.difference !== undefined) {
    const d = differing.difference;
    return {
      name: "semantics",
      ok: false,
      evidence: `function ${nameOf(differing)} differs: ${differing.clif_name}(${argsText(d.args)}) in Cranelift's interpreter: ${d.differences.join("; ")} (${settingText(r)})`,
    };
  }
  const notCovered = r.functions.filter((f) => f.status === "not_covered");
  const t = r.totals;
  if (t.compared_functions === 0) {
    return {
      name: "semantics",
      ok: false,
      decided: false,
      evidence: `undecided: none of the ${t.functions} function(s) could be compared in Cranelift's interpreter${notCoveredText(notCovered, 20)} (${settingText(r)})`,
    };
  }
  const skippedRuns = t.not_covered_runs > 0 ? `, ${t.not_covered_runs} run(s) not covered` : "";
  return {
    name: "semantics",
    ok: true,
    evidence: `${t.compared_functions} of ${t.functions} function(s) compared in Cranelift's interpreter: ${t.compared_runs} run(s) agree on return values or trap, linear memory, globals and output${skippedRuns} (${settingText(r)})${comparedText(r.functions)}${notCoveredText(notCovered, 6)}`,
  };
}

/** `; compared: sum, scale, hyp, … and N more`: the compared functions by C symbol (else name), the first 12. */
function comparedText(functions: readonly DifferentialFunction[]): string {
  const compared = functions.filter((f) => f.status === "compared").map((f) => f.symbol ?? f.name);
  const more = compared.length > 12 ? ` and ${compared.length - 12} more` : "";
  return `; compared: ${compared.slice(0, 12).join(", ")}${more}`;
}

/**
 * `; not covered: u0:3 (f): why; …; and N more; imports without a sandbox stub: env.malloc, …`
 * (the first `max` functions with their reasons, then every import the sandbox lacked), or
 * nothing when every function was compared.
 */
function notCoveredText(notCovered: readonly DifferentialFunction[], max: number): string {
  if (notCovered.length === 0) return "";
  const listed = notCovered.slice(0, max).map((f) => `${nameOf(f)}: ${f.reason ?? "no run"}`).join("; ");
  const more = notCovered.length > max ? `; and ${notCovered.length - max} more` : "";
  const imports = new Set<string>();
  for (const f of notCovered) {
    for (const m of (f.reason ?? "").matchAll(/calls import (\S+) \([^)]*\), which has no stub/g)) imports.add(m[1]!);
  }
  const stubless = imports.size > 0 ? `; imports without a sandbox stub: ${[...imports].sort().join(", ")}` : "";
  return `; not covered: ${listed}${more}${stubless}`;
}

/** `u0:4 (pop_naive)`: the CLIF name and, when known, the C symbol or wasm name. */
function nameOf(f: DifferentialFunction): string {
  const alias = f.symbol ?? (f.name !== f.clif_name ? f.name : undefined);
  return alias !== undefined ? `${f.clif_name} (${alias})` : f.clif_name;
}

function argsText(args: readonly DifferentialArg[]): string {
  return args.map((a) => (a.vmctx === true ? "vmctx" : a.value)).join(", ");
}

function settingText(r: DriverDifferential): string {
  const s = r.sandbox;
  const transforms = [...r.steps, ...(r.include_codegen_pipeline ? ["Context::optimize"] : [])];
  const after = transforms.length > 0 ? `AFTER = BEFORE after ${transforms.join(", ")}` : "AFTER as given";
  const data = s.data_end > 0 ? `the module's data up to 0x${s.data_end.toString(16)}` : "no data segments";
  return `${after}; ${s.probes} probe(s) per function, seed ${s.seed}, fuel ${s.fuel} per run; linear memory ${s.memory_bytes / 1024} KiB with ${data}, stack pointer 0x${s.stack_pointer.toString(16)}`;
}

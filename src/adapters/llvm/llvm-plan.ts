import { exclusionReason } from "./llvm-pass-exclusions.js";
import { OpmError } from "../../kernel/errors/index.js";
import type { PassLevel, PassOffer, Plan, PlanStep } from "../../kernel/plan/index.js";

/** `name<params>` for one step: `{pass: "loop-unroll", value: "O2;full-unroll-max=4"}` → `loop-unroll<O2;full-unroll-max=4>`. */
export function renderStep(step: PlanStep): string {
  return step.value === undefined || step.value === "" ? step.pass : `${step.pass}<${step.value}>`;
}

/** The pass name of a step without `<params>`. */
export function stepPassName(step: PlanStep): string {
  const lt = step.pass.indexOf("<");
  return lt < 0 ? step.pass : step.pass.slice(0, lt);
}

/**
 * Loop passes that LLVM 14 only runs with MemorySSA (`LICM requires MemorySSA
 * (loop-mssa)` otherwise); every other loop pass goes in a plain `loop(…)`.
 */
const MEMORY_SSA_LOOP_PASSES = new Set(["licm", "lnicm"]);

/**
 * The new-pass-manager pipeline text of a plan, as a module pipeline in which each
 * step runs over the whole module before the next one starts (the order a search
 * reasons about, as in CompilerGym): module passes as they are, `cgscc(p)`,
 * `function(p)`, `function(loop(p))` / `function(loop-mssa(p))` for licm and lnicm.
 * LLVM 14 would otherwise parse `sroa,mergefunc` as a function pipeline and reject
 * the module pass. `levelOf` gives a pass's level (from the catalog); a name it does
 * not know is emitted bare. Empty for an empty plan.
 */
export function renderPipeline(plan: Plan, levelOf: (pass: string) => PassLevel | undefined = () => undefined): string {
  return plan.steps
    .map((step) => {
      const text = renderStep(step);
      const name = stepPassName(step);
      switch (levelOf(name)) {
        case "cgscc":
          return `cgscc(${text})`;
        case "function":
          return `function(${text})`;
        case "loop":
          return `function(${MEMORY_SSA_LOOP_PASSES.has(name) ? "loop-mssa" : "loop"}(${text}))`;
        default:
          return text;
      }
    })
    .join(",");
}

/** `text` quoted for a POSIX shell. */
export function shellQuote(text: string): string {
  return /^[\w./=:,+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * Checks every step against the catalog before opt runs: the pass is offered, a
 * parameter value names only the pass's own parameters (`X`, `no-X` for bools,
 * `X=N` in range for ints, an allowed word for enums), and `default` has a level.
 * Throws `invalid_argument` with field `plan.steps[i]` naming the step.
 */
export function validateLlvmPlan(plan: Plan, catalog: readonly PassOffer[]): void {
  const byName = new Map(catalog.map((o) => [o.name, o]));
  plan.steps.forEach((step, i) => {
    const field = `plan.steps[${i}]`;
    const fail = (why: string): never => {
      throw new OpmError("invalid_argument", `field \`${field}\`: step ${i} \`${renderStep(step)}\`: ${why}`, { field });
    };
    let name = step.pass;
    let value = step.value;
    const lt = name.indexOf("<");
    if (lt >= 0) {
      if (value !== undefined) fail("parameters given both in `pass` and in `value`");
      if (!name.endsWith(">")) fail("unbalanced `<`");
      value = name.slice(lt + 1, -1);
      name = name.slice(0, lt);
    }
    const offer = byName.get(name);
    const excluded = offer === undefined ? exclusionReason(name) : undefined;
    if (excluded !== undefined) fail(`\`${name}\` is never offered: ${excluded}`);
    if (!offer) fail(`unknown LLVM pass \`${name}\` (not in the catalog of the installed opt)`);
    if (offer!.name === "default" && (value === undefined || value === "")) fail("`default` needs a level value such as `Oz`");
    if (value === undefined || value === "") return;
    for (const item of value.split(";")) {
      const eq = item.indexOf("=");
      const key = eq < 0 ? item : item.slice(0, eq);
      const enumParam = offer!.parameters.find((p) => p.kind === "enum" && p.values?.includes(item));
      if (enumParam) continue;
      const param = offer!.parameters.find((p) => p.name === key || (p.kind === "bool" && `no-${p.name}` === key));
      if (!param) {
        const known = offer!.parameters.map((p) => (p.kind === "enum" ? p.values?.join("|") : p.name)).join(", ") || "none";
        fail(`unknown parameter \`${item}\` of \`${name}\` (parameters: ${known})`);
      }
      if (param!.kind === "bool" && eq >= 0) fail(`parameter \`${key}\` is a flag and takes no value`);
      if (param!.kind === "int") {
        const text = eq < 0 ? "" : item.slice(eq + 1);
        if (!/^\d+$/.test(text)) fail(`parameter \`${key}\` needs an integer value, got \`${text}\``);
        const n = Number(text);
        if ((param!.min !== undefined && n < param!.min) || (param!.max !== undefined && n > param!.max) || !Number.isSafeInteger(n)) {
          fail(`parameter \`${key}\` = ${text} is out of range [${param!.min ?? "-∞"}, ${param!.max ?? "∞"}]`);
        }
      }
    }
  });
}

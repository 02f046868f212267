import { OpmError } from "../../kernel/errors/index.js";
import type { PassOffer, PassParameter, Plan, PlanStep } from "../../kernel/plan/index.js";

const ON = new Set(["on", "true", "1", "yes"]);
const OFF = new Set(["off", "false", "0", "no"]);

/**
 * The gcc options of a plan, checked against the catalog before gcc runs. Step
 * spellings:
 * - an `-O` level (`-O2`, `-Os`, `-Oz`), only as step 0;
 * - a flag `-ffoo` (value absent / `on` / `off`) or `-fno-foo` → `-ffoo` / `-fno-foo`;
 * - a valued flag `-ffoo=` or `-ffoo` with a value → `-ffoo=<value>`;
 * - a param `name`, `--param=name` with a value → `--param=name=<value>`.
 * Values are checked against the offer's range or allowed words. Throws
 * `invalid_argument` with field `plan.steps[i]` naming the step otherwise.
 */
export function gccPlanOptions(plan: Plan, catalog: readonly PassOffer[]): string[] {
  const byName = new Map(catalog.map((o) => [o.name, o]));
  return plan.steps.map((step, i) => {
    const field = `plan.steps[${i}]`;
    const shown = step.value === undefined ? step.pass : `${step.pass}=${step.value}`;
    const fail = (why: string): never => {
      throw new OpmError("invalid_argument", `field \`${field}\`: step ${i} \`${shown}\`: ${why}`, { field });
    };
    const pass = step.pass;
    if (/^-O/.test(pass)) {
      if (!byName.has(pass) || byName.get(pass)!.level !== "opt-level") fail(`unknown optimisation level \`${pass}\``);
      if (i !== 0) fail("an -O level must be the first step (gcc lets a later -O override earlier flags)");
      if (step.value !== undefined) fail("an -O level takes no value");
      return pass;
    }
    if (pass.startsWith("-f")) return flagOption(step, byName, fail);
    const name = pass.replace(/^--param[= ]/, "");
    const offer = byName.get(name);
    if (!offer || offer.level !== "param") fail(`unknown gcc option or --param \`${name}\` (not accepted by the installed gcc)`);
    if (step.value === undefined) fail(`--param ${name} needs a value`);
    return `--param=${name}=${checkedValue(offer!.parameters[0]!, step.value!, name, fail)}`;
  });
}

function flagOption(step: PlanStep, byName: ReadonlyMap<string, PassOffer>, fail: (why: string) => never): string {
  const pass = step.pass;
  const valued = byName.get(pass.endsWith("=") ? pass : `${pass}=`);
  if (step.value !== undefined && valued && !byName.has(pass) && !pass.endsWith("=")) {
    return `${valued.name}${checkedValue(valued.parameters[0]!, step.value, valued.name, fail)}`;
  }
  if (pass.endsWith("=")) {
    if (!valued) fail(`unknown gcc option \`${pass}\``);
    if (step.value === undefined) fail(`\`${pass}\` needs a value`);
    return `${pass}${checkedValue(valued!.parameters[0]!, step.value!, pass, fail)}`;
  }
  const negated = pass.startsWith("-fno-") && !byName.has(pass);
  const positive = negated ? `-f${pass.slice(5)}` : pass;
  const offer = byName.get(positive);
  if (!offer || offer.level !== "flag") fail(`unknown gcc flag \`${positive}\` (not accepted by the installed gcc for C)`);
  if (offer!.parameters[0]?.kind !== "bool") fail(`\`${positive}\` takes a value: use \`${positive}=\``);
  let on = !negated;
  if (step.value !== undefined) {
    if (negated) fail("a -fno- flag takes no value");
    if (ON.has(step.value)) on = true;
    else if (OFF.has(step.value)) on = false;
    else fail(`flag value must be on or off, got \`${step.value}\``);
  }
  // A flag listed in its negative form (`-fno-threadsafe-statics`) flips back by dropping `no-`.
  if (on) return positive;
  return positive.startsWith("-fno-") ? `-f${positive.slice(5)}` : `-fno-${positive.slice(2)}`;
}

function checkedValue(p: PassParameter, value: string, name: string, fail: (why: string) => never): string {
  if (p.kind === "enum") {
    if (!p.values?.includes(value)) fail(`\`${name}\` must be one of ${p.values?.join("|")}, got \`${value}\``);
  } else if (p.kind === "int") {
    if (!/^-?\d+$/.test(value)) fail(`\`${name}\` needs an integer, got \`${value}\``);
    const n = Number(value);
    if (n < (p.min ?? -Infinity) || n > (p.max ?? Infinity)) fail(`\`${name}\` = ${value} is out of range [${p.min}, ${p.max}]`);
  } else if (!/^[\w:,.+-]+$/.test(value)) {
    fail(`\`${name}\` value \`${value}\` has characters gcc options never need`);
  }
  return value;
}

import { OpmError } from "../../kernel/errors/index.js";
import type { Plan, PlanStep } from "../../kernel/plan/index.js";
import type { DriverCatalog, DriverSettingValue } from "./driver-protocol.js";

/**
 * A plan as the driver's `compile` request takes it: steps in order, settings by
 * name. Settings not listed keep Cranelift's defaults (`opt_level=none`).
 */
export interface DriverPlan {
  steps: string[];
  settings: Record<string, DriverSettingValue>;
}

/**
 * The readable form of a Cranelift plan. A plan step with a `value` is a setting
 * (`name=value`), one without is a Context step (`name`). Grammar:
 *
 *     plan     = [ item { sep item } ]
 *     item     = setting | step
 *     setting  = NAME "=" VALUE          e.g. opt_level=none, has_avx=true
 *     step     = NAME                    e.g. egraph_pass
 *     sep      = ";" | ","               (spaces around items are ignored)
 *     NAME     = [A-Za-z0-9_]+   VALUE = [A-Za-z0-9_.+-]+
 *
 * Rendering puts the settings first (joined by `, `), each once, then `; `, then the
 * steps in order (joined by `, `): `opt_level=none; egraph_pass, remove_constant_phis`.
 * Settings are not ordered for Cranelift and a setting given again with the same value
 * changes nothing (`validateCraneliftPlan`; searches draw moves with replacement, so a
 * plan may repeat one), so this loses nothing; `""` is the empty plan.
 * `parseCraneliftPlan(renderCraneliftPlan(p))` gives `p` with its settings moved to the
 * front and their repeats dropped.
 */
export function renderCraneliftPlan(plan: Plan): string {
  const settings = [...new Set(plan.steps.filter((s) => s.value !== undefined).map((s) => `${s.pass}=${s.value}`))];
  const steps = plan.steps.filter((s) => s.value === undefined).map((s) => s.pass);
  if (settings.length === 0) return steps.join(", ");
  if (steps.length === 0) return settings.join(", ");
  return `${settings.join(", ")}; ${steps.join(", ")}`;
}

const NAME = /^[A-Za-z0-9_]+$/;
const VALUE = /^[A-Za-z0-9_.+-]+$/;

/**
 * Parses the grammar of `renderCraneliftPlan` into a plan (items in written order).
 * Checks only the syntax; `validateCraneliftPlan` checks names and values. Throws
 * `invalid_argument` (field `plan`) naming the malformed item.
 */
export function parseCraneliftPlan(text: string): Plan {
  const steps: PlanStep[] = [];
  const items = text.split(/[;,]/).map((t) => t.trim());
  if (items.length === 1 && items[0] === "") return { steps };
  items.forEach((item, i) => {
    const fail = (why: string): never => {
      throw new OpmError("invalid_argument", `field \`plan\`: item ${i} \`${item}\` of \`${text}\`: ${why}`, { field: "plan" });
    };
    if (item === "") fail("empty item (two separators in a row or a trailing separator)");
    const eq = item.indexOf("=");
    if (eq < 0) {
      if (!NAME.test(item)) fail("a step name is letters, digits and `_`");
      steps.push({ pass: item });
      return;
    }
    const name = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (!NAME.test(name)) fail(`setting name \`${name}\` is not letters, digits and \`_\``);
    if (!VALUE.test(value)) fail(`setting value \`${value}\` is empty or has characters outside [A-Za-z0-9_.+-]`);
    steps.push({ pass: name, value });
  });
  return { steps };
}

/**
 * Checks every plan step against the driver's catalog and splits the plan for the
 * driver: a step without value must be a catalog step; a step with a value must be
 * a catalog setting, given again only with the same value, with a value of its kind (`true`/`false`
 * for bools, an enumerator for enums, an integer in range for nums, `true` for
 * presets). Throws `invalid_argument` with field `plan.steps[i]` naming the step
 * and, where it helps, the allowed names or values.
 */
export function validateCraneliftPlan(plan: Plan, catalog: DriverCatalog): DriverPlan {
  const stepNames = new Set(catalog.steps.map((s) => s.name));
  const settings = new Map(catalog.settings.map((s) => [s.name, s]));
  const out: DriverPlan = { steps: [], settings: {} };
  const seenAt = new Map<string, number>();
  plan.steps.forEach((step, i) => {
    const field = `plan.steps[${i}]`;
    const shown = step.value === undefined ? step.pass : `${step.pass}=${step.value}`;
    const fail = (why: string): never => {
      throw new OpmError("invalid_argument", `field \`${field}\`: step ${i} \`${shown}\`: ${why}`, { field });
    };
    const setting = settings.get(step.pass);
    if (step.value === undefined) {
      if (stepNames.has(step.pass)) {
        out.steps.push(step.pass);
        return;
      }
      if (setting) fail(`\`${step.pass}\` is a setting and needs a value (${allowedText(setting.allowed)})`);
      fail(`unknown Cranelift step \`${step.pass}\` (steps: ${[...stepNames].join(", ")}; settings take \`name=value\`)`);
    }
    if (stepNames.has(step.pass)) fail(`\`${step.pass}\` is a step and takes no value`);
    if (!setting) fail(`unknown Cranelift setting \`${step.pass}\` (not in the driver's catalog of ${settings.size} settings)`);
    const value = step.value!;
    // A repeat with the same value changes nothing (searches draw moves with
    // replacement); a different value would make the plan depend on item order.
    const earlier = seenAt.get(step.pass);
    if (earlier !== undefined) {
      if (plan.steps[earlier]!.value === value) return;
      fail(`setting \`${step.pass}\` is already given by step ${earlier} as \`${plan.steps[earlier]!.value}\``);
    }
    seenAt.set(step.pass, i);
    const bad = (): never => fail(`bad value \`${value}\` for setting \`${step.pass}\` (${allowedText(setting!.allowed)})`);
    switch (setting!.kind) {
      case "bool":
        if (value !== "true" && value !== "false") bad();
        out.settings[step.pass] = value === "true";
        return;
      case "preset":
        if (value !== "true") bad();
        out.settings[step.pass] = true;
        return;
      case "num": {
        const range = Array.isArray(setting!.allowed) ? { min: 0, max: 255 } : setting!.allowed;
        if (!/^\d+$/.test(value) || Number(value) < range.min || Number(value) > range.max) bad();
        out.settings[step.pass] = Number(value);
        return;
      }
      case "enum":
        if (!Array.isArray(setting!.allowed) || !setting!.allowed.map(String).includes(value)) bad();
        out.settings[step.pass] = value;
        return;
    }
  });
  return out;
}

function allowedText(allowed: DriverCatalog["settings"][number]["allowed"]): string {
  return Array.isArray(allowed) ? `allowed: ${allowed.map(String).join(", ")}` : `an integer in [${allowed.min}, ${allowed.max}]`;
}

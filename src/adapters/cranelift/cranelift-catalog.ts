import type { PassOffer, PassParameter } from "../../kernel/plan/index.js";
import type { DriverCatalog, DriverSetting } from "./driver-protocol.js";

/** The setting offered as level `opt-level`; every other setting is a `param`. */
export const OPT_LEVEL_SETTING = "opt_level";

/**
 * The driver's catalog as PassOffers, nothing added:
 * - each step (a `cranelift_codegen::Context` transform) → level `step`, no
 *   parameters; invariants `semantics` when the driver says `semantics_preserving`,
 *   and `interface` always (a Context step rewrites one function's body and cannot
 *   change its signature);
 * - each setting → level `opt-level` for `opt_level`, `param` otherwise, with one
 *   parameter named like the setting: `bool` (`true`/`false`), `enum` (the
 *   enumerators; presets are `enum` with the single value `true`), or `int`
 *   (`min`/`max`); `default` is Cranelift's default as a string (none for presets).
 *   Only `opt_level` claims `semantics`: the driver makes no claim for the others
 *   (`enable_nan_canonicalization` changes NaN bits, `has_*` need the CPU feature).
 */
export function craneliftOffers(catalog: DriverCatalog): PassOffer[] {
  const steps: PassOffer[] = catalog.steps.map((s) => ({
    name: s.name,
    level: "step",
    parameters: [],
    invariants: s.semantics_preserving ? ["semantics", "interface"] : ["interface"],
    description: `${s.description} (${s.api})`,
  }));
  const settings: PassOffer[] = catalog.settings.map((s) => ({
    name: s.name,
    level: s.name === OPT_LEVEL_SETTING ? "opt-level" : "param",
    parameters: [settingParameter(s)],
    invariants: s.name === OPT_LEVEL_SETTING ? ["semantics", "interface"] : [],
    description: `${s.description} (${s.group} ${s.kind} setting)`,
  }));
  return [...steps, ...settings];
}

/** The one parameter of a setting offer. */
function settingParameter(s: DriverSetting): PassParameter {
  const withDefault = (p: PassParameter): PassParameter => (s.default === null ? p : { ...p, default: String(s.default) });
  if (s.kind === "num") {
    const range = Array.isArray(s.allowed) ? { min: 0, max: 255 } : s.allowed;
    return withDefault({ name: s.name, kind: "int", min: range.min, max: range.max });
  }
  if (s.kind === "bool") return withDefault({ name: s.name, kind: "bool", values: ["false", "true"] });
  const values = Array.isArray(s.allowed) ? s.allowed.map(String) : [];
  return withDefault({ name: s.name, kind: "enum", values });
}

import { isKnownExternal } from "../verifier/known-externals.js";
import type { LayerResult } from "../verifier/verdict.js";
import type { ObjectSymbols } from "./object-symbols.js";

/**
 * Layer 2 of the GCC verifier over every unit: each AFTER object defines the same global
 * symbols, of the same kind (code/data), as the `gcc -O0` reference object of its unit, and
 * references no new undefined symbol beyond the C library. `names[i]` prefixes the findings
 * of unit `i` (undefined for a single source). A claimed `cfg` invariant is undecided: an
 * object file has no CFG to compare.
 */
export function gccInterfaceLayer(
  units: ReadonlyArray<{ name: string | undefined; reference: ObjectSymbols; after: ObjectSymbols }>, invariants: ReadonlySet<string>,
): LayerResult {
  const problems: string[] = [];
  let exported = 0;
  for (const { name, reference: ref, after: aft } of units) {
    const at = name !== undefined ? `${name}: ` : "";
    exported += ref.defined.size;
    for (const [symbol, kind] of ref.defined) {
      const k = aft.defined.get(symbol);
      if (k === undefined) problems.push(`${at}exported symbol ${symbol} (${kind}) is gone`);
      else if (k !== kind) problems.push(`${at}exported symbol ${symbol} was ${kind}, is now ${k}`);
    }
    for (const symbol of aft.defined.keys()) if (!ref.defined.has(symbol)) problems.push(`${at}${symbol} is newly exported`);
    for (const symbol of aft.undefined) {
      if (!ref.undefined.has(symbol) && !isKnownExternal(symbol)) problems.push(`${at}new reference to undefined external symbol ${symbol}`);
    }
  }
  if (problems.length > 0) {
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : "";
    return { name: "interface", ok: false, evidence: `${problems.slice(0, 5).join("; ")}${more}` };
  }
  if (invariants.has("cfg")) return { name: "interface", ok: false, decided: false, evidence: "undecided: a claimed `cfg` invariant cannot be checked on a GCC object file" };
  const where = units.length > 1 ? ` over ${units.length} units` : "";
  return { name: "interface", ok: true, evidence: `same ${exported} global symbol(s) and kinds as the -O0 reference${where}, no new undefined externals (not covered for GCC: signatures, initial values)` };
}

import type { ChangedFunction } from "../verifier/earned-semantics.js";
import type { ObjectFunction } from "./object-symbols.js";

/** One unit's functions as its object defines them; `unit` is its path in a bundle, undefined for a single C file. */
export interface UnitFunctions {
  unit: string | undefined;
  functions: readonly ObjectFunction[];
}

/**
 * The functions a GCC plan changed: every function its objects define (the plan compiled
 * all of them). GCC's clones — `f.constprop.0`, `f.part.0`, `f.isra.0`, `f.cold`, and their
 * combinations — belong to their origin `f` (a C name has no `.`, so everything from the
 * first `.` is GCC's): their bytes are added to `f`'s, and `f` is `added` only when the
 * object does not define `f` itself. A clone is local; it belongs to the global `f` when its
 * unit defines one, else to the unit's static `f`. Names are `functionName`'s. Sizes are
 * bytes of machine code (`st_size`), where LLVM counts instructions: the share of changed
 * code a run must cover is weighed in bytes.
 */
export function changedGccFunctions(units: readonly UnitFunctions[]): ChangedFunction[] {
  const changed = new Map<string, ChangedFunction>();
  for (const { unit, functions } of units) {
    const globals = new Set(functions.filter((f) => !f.local).map((f) => f.name));
    for (const fn of functions) {
      const origin = originOf(fn.name);
      const name = !fn.local || globals.has(origin) ? origin : functionName(unit, origin, true);
      const itself = fn.name === origin;
      const entry = changed.get(name);
      if (entry === undefined) changed.set(name, { name, instructions: fn.bytes, added: !itself });
      else {
        entry.instructions += fn.bytes;
        if (itself) entry.added = false;
      }
    }
  }
  return [...changed.values()];
}

/**
 * How the GCC verifier names a C function: a global one by its name; a `static` one by its
 * name too in a single C file, and as `<unit path>:<name>` in a program of several units
 * (two units may each have their own static `f`; `llvm-profdata` spells statics the same way).
 */
export function functionName(unit: string | undefined, name: string, local: boolean): string {
  return local && unit !== undefined ? `${unit}:${name}` : name;
}

/** `f.constprop.0.isra.0` → `f`. */
function originOf(symbol: string): string {
  const dot = symbol.indexOf(".");
  return dot > 0 ? symbol.slice(0, dot) : symbol;
}

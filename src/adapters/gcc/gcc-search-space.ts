import type { Objective, PassOffer, PlanStep, SearchSpace } from "../../kernel/plan/index.js";
import { gccParamMoves } from "./gcc-param-moves.js";

/**
 * GCC flags a search never flips: they change floating-point results, the ABI seen by
 * libc (`-fpack-struct`, `-fshort-enums`, `-fno-reg-struct-return`), what overflow or
 * threads do, or they write files. The catalog still offers them; a plan may use them.
 */
export const GCC_UNSAFE_FLAGS: ReadonlySet<string> = new Set([
  "-fallow-store-data-races", "-fassociative-math", "-fexcess-precision", "-fcx-fortran-rules", "-fcx-limited-range", "-ffast-math", "-ffinite-math-only",
  "-fmath-errno", "-fpack-struct", "-freciprocal-math", "-freg-struct-return", "-frounding-math",
  "-fsave-optimization-record", "-fshort-enums", "-fshort-wchar", "-fsignaling-nans", "-fsigned-zeros",
  "-fsingle-precision-constant", "-ftrapping-math", "-ftrapv", "-funsafe-math-optimizations", "-fopt-info",
  "-fbranch-probabilities", "-fprofile-partial-training",
]);

/**
 * A GCC search for size: from `-Os`, with `-Oz` (GCC 12's `-Os` with more size-over-speed
 * choices) as the alternative level. Moves, in this order: every safe on/off flag (not
 * `GCC_UNSAFE_FLAGS`) that -Os turns on, turned off — where most size changes are —; the
 * `--param` values measured to move `.text` (`gccParamMoves`, `GCC_SIZE_PARAMS`); the
 * flags -Os leaves off, turned on (both states when -Os leaves a flag unset); each
 * non-default value of the enumerated `-fX=` options whose -Os value is known.
 *
 * Every move is spelled so that its `planKey` reads back as the same step
 * (`parsePlanKey`): a flag `-fX` / `-fno-X` (a flag listed negatively, `-fno-X` + `off`),
 * a valued option by its bare name and value (`-fvect-cost-model` + `unlimited`, which
 * `gccPlanOptions` renders `-fvect-cost-model=unlimited`), a param by its name and value
 * (`--param=name=value`). A valued option whose bare name is also an on/off flag would be
 * ambiguous spelled so (`-flifetime-dse` + `1`); GCC 12 has no enumerated one, and one
 * would be left out.
 */
export function gccSearchSpace(catalog: readonly PassOffer[], _objective: Objective, maxSteps: number): SearchSpace {
  return { prefix: [{ pass: "-Os" }], alternatives: [[{ pass: "-Oz" }]], moves: gccMoves(catalog), maxSteps };
}

function gccMoves(catalog: readonly PassOffer[]): PlanStep[] {
  const names = new Set(catalog.map((o) => o.name));
  const disable: PlanStep[] = [];
  const enable: PlanStep[] = [];
  const valued: PlanStep[] = [];
  for (const offer of catalog) {
    const p = offer.parameters[0];
    if (offer.level !== "flag" || p === undefined || GCC_UNSAFE_FLAGS.has(offer.name)) continue;
    if (p.kind === "bool") {
      // A flag listed in its negative form (`-fno-X`) is turned off with the value `off`.
      if (p.default !== "off") disable.push(offer.name.startsWith("-fno-") ? { pass: offer.name, value: "off" } : { pass: `-fno-${offer.name.slice(2)}` });
      if (p.default !== "on") enable.push({ pass: offer.name });
    } else if (p.kind === "enum" && p.default !== undefined) {
      const bare = offer.name.replace(/=$/, "");
      if (names.has(bare)) continue;
      for (const v of p.values ?? []) if (v !== p.default) valued.push({ pass: bare, value: v });
    }
  }
  return [...disable, ...gccParamMoves(catalog), ...enable, ...valued];
}

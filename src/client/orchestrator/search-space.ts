import { craneliftSearchMoves } from "../../adapters/cranelift/cranelift-search-moves.js";
import type { CompilerKind, PassOffer, PlanStep } from "../../adapters/framework/toolchain.js";
import type { SearchSpace } from "./strategy.js";

/** The compiler's own default for size, which every search starts from. */
export const SIZE_PREFIX: Record<CompilerKind, PlanStep[]> = {
  llvm: [{ pass: "default", value: "Oz" }],
  gcc: [{ pass: "-Os" }],
  cranelift: [{ pass: "opt_level", value: "speed_and_size" }],
};

/**
 * Other whole levels worth trying instead of the prefix for size (GCC 12's `-Oz` is
 * `-Os` with more size-over-speed choices). Only strategies that say so use them.
 */
export const SIZE_ALTERNATIVES: Record<CompilerKind, PlanStep[][]> = {
  llvm: [],
  gcc: [[{ pass: "-Oz" }]],
  cranelift: [],
};

/**
 * GCC flags a search never flips: they change floating-point results, the ABI seen by
 * libc (`-fpack-struct`, `-fshort-enums`, `-fno-reg-struct-return`), what overflow or
 * threads do, or they write files. The catalog still offers them; a plan may use them.
 */
export const GCC_UNSAFE_FLAGS: ReadonlySet<string> = new Set([
  "-fallow-store-data-races", "-fcx-fortran-rules", "-fcx-limited-range", "-ffast-math", "-ffinite-math-only",
  "-fmath-errno", "-fpack-struct", "-freciprocal-math", "-freg-struct-return", "-frounding-math",
  "-fsave-optimization-record", "-fshort-enums", "-fshort-wchar", "-fsignaling-nans", "-fsigned-zeros",
  "-fsingle-precision-constant", "-ftrapping-math", "-ftrapv", "-funsafe-math-optimizations", "-fopt-info",
  "-fbranch-probabilities", "-fprofile-partial-training",
]);

/**
 * The moves a search may add after the prefix, from the catalog. LLVM: every pass by
 * name. Cranelift: `craneliftSearchMoves` — its semantics-preserving steps plus the few
 * settings that change code size (`is_pic=true`, the host's bit-manipulation `has_*`). GCC: every safe on/off flag (not `GCC_UNSAFE_FLAGS`)
 * in the state it does not have at -Os (both states when -Os leaves it unset), the
 * flags -Os turns on first — turning off what -Os enabled is where most size changes
 * are — then the flags it leaves off, then each non-default value of enumerated
 * `-fX=` options whose -Os value is known. Numeric params are left to later strategies.
 */
export function searchSpace(compiler: CompilerKind, catalog: PassOffer[], maxSteps: number): SearchSpace {
  if (compiler === "gcc") return { prefix: SIZE_PREFIX.gcc, moves: gccMoves(catalog), maxSteps };
  if (compiler === "cranelift") return { prefix: SIZE_PREFIX.cranelift, moves: craneliftSearchMoves(catalog), maxSteps };
  const moves: PlanStep[] = [];
  for (const offer of catalog) {
    if (offer.level === "flag") {
      const base = offer.name.replace(/^-f(no-)?/, "");
      moves.push({ pass: `-f${base}` }, { pass: `-fno-${base}` });
    } else if (["module", "cgscc", "function", "loop", "step"].includes(offer.level)) {
      moves.push({ pass: offer.name });
    }
  }
  return { prefix: SIZE_PREFIX[compiler], moves, maxSteps };
}

function gccMoves(catalog: readonly PassOffer[]): PlanStep[] {
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
      for (const v of p.values ?? []) if (v !== p.default) valued.push({ pass: offer.name, value: v });
    }
  }
  return [...disable, ...enable, ...valued];
}

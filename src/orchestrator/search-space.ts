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
 * The moves a search may add after the prefix, from the catalog: every pass (LLVM) by
 * name, every GCC flag both ways (`-fX`, `-fno-X`). Whole levels
 * and numeric params are left to the prefix and to later strategies. Cranelift's are
 * `craneliftSearchMoves`: its semantics-preserving steps plus the few settings that
 * change code size (`is_pic=true`, the host's bit-manipulation `has_*` features).
 */
export function searchSpace(compiler: CompilerKind, catalog: PassOffer[], maxSteps: number): SearchSpace {
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

import type { CompilerKind, PassOffer, PlanStep } from "../../adapters/framework/toolchain.js";
import type { SearchSpace } from "./strategy.js";

/** The compiler's own default for size, which every search starts from. */
export const SIZE_PREFIX: Record<CompilerKind, PlanStep[]> = {
  llvm: [{ pass: "default", value: "Oz" }],
  gcc: [{ pass: "-Os" }],
  cranelift: [{ pass: "opt_level", value: "speed_and_size" }],
};

/**
 * The moves a search may add after the prefix, from the catalog: every pass (LLVM) or
 * step (Cranelift) by name, every GCC flag both ways (`-fX`, `-fno-X`). Whole levels
 * and numeric params are left to the prefix and to later strategies.
 */
export function searchSpace(compiler: CompilerKind, catalog: PassOffer[], maxSteps: number): SearchSpace {
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

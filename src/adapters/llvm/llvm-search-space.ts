import type { Objective, PassOffer, PlanStep, SearchSpace } from "../../kernel/plan/index.js";

/** `default<Oz>`: clang's own pipeline for size, which every LLVM search starts from. */
export const LLVM_SIZE_PREFIX: readonly PlanStep[] = [{ pass: "default", value: "Oz" }];

/**
 * An LLVM search: `default<Oz>` for every objective (both are sizes), then any pass of
 * the catalog by name (module, CGSCC, function and loop passes; not whole levels).
 */
export function llvmSearchSpace(catalog: readonly PassOffer[], _objective: Objective, maxSteps: number): SearchSpace {
  const moves = catalog.filter((o) => ["module", "cgscc", "function", "loop"].includes(o.level)).map((o) => ({ pass: o.name }));
  return { prefix: [...LLVM_SIZE_PREFIX], alternatives: [], moves, maxSteps };
}

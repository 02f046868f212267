import type { PassOffer, PlanStep } from "../../kernel/plan/index.js";

/**
 * How a move's value comes from the catalog's entry for the param: its minimum (the
 * budget off: usually 0), a quarter or half of its -Os default (a smaller budget), twice
 * the default (clamped to the maximum), or a literal for params whose default 0 means
 * "the target decides" (no default to scale).
 */
export type GccParamValue = "min" | "quarter" | "half" | "double" | number;

/** A param a GCC size search may set, and which values. */
export interface GccParamChoice {
  name: string;
  values: readonly GccParamValue[];
}

/**
 * The `--param`s a GCC size search sets, each with the values that moved `.text`.
 *
 * Chosen by measurement (GCC 12.2.0, x86-64, 2026-12-02): every numeric param of
 * `gcc -Q --help=params -Os` except instrumentation (asan, tsan, hwasan), the analyzer,
 * LTO, debug info, caches, prefetching, graphite, vectoriser, scheduling, stack-protection
 * and garbage-collection ones (188 params), each at its minimum, default/4, default/2 and
 * 2×default (1, 4, 16, 64 when the default is 0), compiled `gcc -Os` on six corpus programs
 * (bytecode, json, sha256 — three of the 16-program transfer subset —, aes, huffman, lz —
 * none of it), `.text` compared with plain `-Os`. Kept: every value that made at least one
 * program smaller, except one whose six sizes equal those of a smaller kept value (bytes
 * saved in the comments, largest first). Dropped because nothing moved on any of the six:
 * the inliner's growth limits (max-inline-insns-auto, early-inlining-insns,
 * inline-unit-growth, large-function-growth, uninlined-thunk-*, the ipa-cp-* growth and
 * bonus params other than the value list), unrolling and peeling (off at -Os), the
 * tracer. Dropped because every value that moved grew: max-inline-insns-size,
 * max-early-inliner-iterations, max-crossjump-edges, min-crossjump-insns,
 * max-combine-insns, max-gcse-memory, max-cselib-memory-locations, iv-max-considered-uses,
 * iv-consider-all-candidates-bound, large-function-insns, max-tail-merge-iterations, store
 * merging. Most kept values are the minimum (the budget off); a param that helps only a
 * few programs still earns its move, since a search keeps what helps each program.
 */
export const GCC_SIZE_PARAMS: readonly GccParamChoice[] = [
  // Inlining and IPA
  { name: "uninlined-function-insns", values: ["min", "half"] }, // aes 23, lz 22
  { name: "max-inline-insns-single", values: ["min"] }, // lz 22
  { name: "max-inline-functions-called-once-insns", values: ["min"] }, // aes 23, sha256 19
  { name: "max-inline-functions-called-once-loop-depth", values: ["min", "quarter"] }, // aes 23, json 19, sha256 19, lz 12
  { name: "partial-inlining-entry-probability", values: ["min"] }, // lz 22
  { name: "large-unit-insns", values: ["min"] }, // lz 22
  { name: "ipa-cp-value-list-size", values: ["min"] }, // bytecode 58
  // Jump threading
  { name: "max-jump-thread-duplication-stmts", values: ["min", "quarter", "half", "double"] }, // json 66, lz 14
  { name: "max-fsm-thread-length", values: ["min", "quarter"] }, // json 60, lz 13
  { name: "fsm-scale-path-stmts", values: ["min", "double"] }, // json 28, lz 9
  { name: "fsm-scale-path-blocks", values: ["min"] }, // json 3
  { name: "ranger-logical-depth", values: ["min"] }, // json 7
  // Block copying and tail merging
  { name: "max-grow-copy-bb-insns", values: ["min", "quarter"] }, // lz 15, bytecode 11
  { name: "max-tail-merge-comparisons", values: ["quarter"] }, // bytecode 1
  // Loops: invariant motion, induction variables, header copying, niter estimates
  { name: "loop-invariant-max-bbs-in-loop", values: ["min"] }, // json 67, sha256 67, aes 19
  { name: "lim-expensive", values: ["min"] }, // aes 12, json 1
  { name: "iv-always-prune-cand-set-bound", values: ["min"] }, // json 7, huffman 6, aes 5, lz 3, sha256 2
  { name: "max-loop-header-insns", values: ["min"] }, // json 9, aes 3
  { name: "max-predicted-iterations", values: ["min"] }, // sha256 52, json 30, aes 14
  { name: "loop-max-datarefs-for-datadeps", values: ["min"] }, // huffman 14
  { name: "scev-max-expr-size", values: ["min"] }, // huffman 5, bytecode 4 (aes grows 189)
  // Redundancy elimination, hoisting, sinking
  { name: "sccvn-max-alias-queries-per-access", values: ["min"] }, // sha256 80, json 38, aes 1
  { name: "max-cse-insns", values: ["min"] }, // sha256 33
  { name: "max-cse-path-length", values: ["min"] }, // bytecode 4
  { name: "gcse-unrestricted-cost", values: ["min", "half"] }, // aes 16, lz 10, bytecode 6
  { name: "gcse-cost-distance-ratio", values: ["min", "quarter", "half"] }, // sha256 19, json 1 (bytecode grows 28)
  { name: "max-hoist-depth", values: ["half"] }, // huffman 4
  { name: "sink-frequency-threshold", values: ["double"] }, // json 8 (2×75 clamps to 100)
  // Switches, if-conversion, reassociation, register allocation
  { name: "case-values-threshold", values: [64] }, // bytecode 33 (json grows 48)
  { name: "jump-table-max-growth-ratio-for-size", values: ["min"] }, // bytecode 33 (json grows 48)
  { name: "max-rtl-if-conversion-insns", values: ["min"] }, // json 7
  { name: "tree-reassoc-width", values: [4] }, // sha256 2
  { name: "ira-max-conflict-table-size", values: ["min"] }, // json 23
  { name: "lra-max-considered-reload-pseudos", values: ["min"] }, // lz 8
];

/**
 * The param moves of a GCC size search: one step `{ pass: name, value }` (rendered
 * `--param=name=value` by `gccPlanOptions`) per value of `GCC_SIZE_PARAMS`, worked out
 * from the catalog's range and -Os default, clamped to the range, duplicates and the
 * default itself dropped. A param the installed gcc does not offer, or whose default it
 * does not show, is left out (its scaled values would be guesses).
 */
export function gccParamMoves(catalog: readonly PassOffer[], choices: readonly GccParamChoice[] = GCC_SIZE_PARAMS): PlanStep[] {
  const params = new Map(catalog.filter((o) => o.level === "param").map((o) => [o.name, o.parameters[0]]));
  const moves: PlanStep[] = [];
  for (const choice of choices) {
    const p = params.get(choice.name);
    if (p === undefined || p.kind !== "int" || p.default === undefined) continue;
    const d = Number(p.default);
    const min = p.min ?? 0;
    const max = p.max ?? Number.MAX_SAFE_INTEGER;
    const seen = new Set<number>([d]);
    for (const rule of choice.values) {
      const raw = typeof rule === "number" ? rule : rule === "min" ? min : rule === "quarter" ? Math.floor(d / 4) : rule === "half" ? Math.floor(d / 2) : 2 * d;
      const v = Math.min(max, Math.max(min, raw));
      if (seen.has(v)) continue;
      seen.add(v);
      moves.push({ pass: choice.name, value: String(v) });
    }
  }
  return moves;
}

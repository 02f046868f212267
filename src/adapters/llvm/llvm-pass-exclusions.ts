/**
 * Passes of `opt -print-passes` (LLVM 14) that are transform-section entries but are
 * never offered to a search, with the reason. Name patterns (printers `print*`,
 * verifiers `verify*`, `view-*`, `dot-*`, `no-op-*`, `invalidate<…>`) are excluded
 * too; `exclusionReason` gives the reason for either; analysis sections are never read.
 */
export const LLVM_PASS_EXCLUSIONS: Readonly<Record<string, string>> = {
  // Debug-info testing and diagnostics: observe or annotate, never optimise.
  debugify: "test utility: inserts synthetic debug info",
  "check-debugify": "test utility: checks debugify output",
  "aa-eval": "analysis evaluator: only prints alias statistics",
  instcount: "analysis printer: only counts instructions (the metric itself)",
  lint: "diagnostic: only reports suspicious IR",
  helloworld: "example pass: prints function names",
  "annotation-remarks": "diagnostic: only emits remarks",
  "transform-warning": "diagnostic: only warns about unapplied loop hints",
  // Instrumentation: adds code for sanitizers, profiling or coverage, by design larger.
  asan: "sanitizer instrumentation", "asan-module": "sanitizer instrumentation",
  hwasan: "sanitizer instrumentation", msan: "sanitizer instrumentation", "msan-module": "sanitizer instrumentation",
  tsan: "sanitizer instrumentation", "tsan-module": "sanitizer instrumentation", dfsan: "sanitizer instrumentation",
  memprof: "profiler instrumentation", "memprof-module": "profiler instrumentation",
  "sancov-module": "coverage instrumentation", "insert-gcov-profiling": "coverage instrumentation",
  "pgo-instr-gen": "profile instrumentation", instrprof: "profile instrumentation lowering",
  instrorderfile: "order-file instrumentation", "ee-instrument": "function entry/exit instrumentation",
  "bounds-checking": "inserts run-time bounds checks", "poison-checking": "inserts run-time poison checks",
  "pseudo-probe": "inserts profile probes", "pseudo-probe-update": "updates profile probes",
  // Need inputs a search cannot provide (profiles, summaries, files given by cl::opt).
  "pgo-instr-use": "needs a profile file (-pgo-test-profile-file)",
  "sample-profile": "needs a sample profile file",
  "pgo-icall-prom": "needs value profile data", "pgo-memop-opt": "needs value profile data",
  "cg-profile": "needs profile data; only adds metadata",
  chr: "crashes opt 14 (SIGSEGV) on modules without profile data, and does nothing without it",
  "synthetic-counts-propagation": "profile bookkeeping only",
  "function-import": "needs a ThinLTO summary index (-summary-file)",
  wholeprogramdevirt: "needs a whole-program summary and type metadata",
  lowertypetests: "needs CFI type metadata from -fsanitize=cfi",
  "cross-dso-cfi": "needs CFI type metadata from -fsanitize=cfi",
  "extract-blocks": "needs a block list (-extract-blocks-file)",
  "rewrite-symbols": "needs a rewrite map file",
  // Language-runtime or target-specific passes that are no-ops on C and only add noise.
  "objc-arc": "Objective-C ARC only", "objc-arc-apelim": "Objective-C ARC only",
  "objc-arc-contract": "Objective-C ARC only", "objc-arc-expand": "Objective-C ARC only",
  "coro-early": "C++ coroutines lowering", "coro-split": "C++ coroutines lowering",
  "coro-elide": "C++ coroutines lowering", "coro-cleanup": "C++ coroutines lowering",
  "rewrite-statepoints-for-gc": "garbage-collector statepoints only", "strip-gc-relocates": "garbage-collector statepoints only",
  "make-guards-explicit": "guard intrinsics only", "lower-guard-intrinsic": "guard intrinsics only",
  "lower-widenable-condition": "guard intrinsics only", "guard-widening": "guard intrinsics only",
  "loop-predication": "guard intrinsics only",
  // No meaning for the target (x86-64 CPU code): GPU preparation passes, which the AMDGPU
  // backend runs in this order (fix-irreducible, unify-loop-exits, structurizecfg, with
  // lowerswitch first) so that divergent branches become structured regions. LLVM 14's
  // -print-passes lists no AMDGPU or NVPTX pass itself; these are the generic halves.
  structurizecfg:
    "no meaning for the target (x86-64 CPU code): restructures the CFG for GPU divergence (AMDGPU); it does not handle `switch`, and " +
    "`-passes` does not run the lowerswitch the legacy pass manager runs first: on a switch in a loop it wrote `br i1 false` (wrong output)",
  "fix-irreducible":
    "no meaning for the target (x86-64 CPU code): makes irreducible loops reducible for structurizecfg (AMDGPU); only adds dispatch blocks",
  "unify-loop-exits":
    "no meaning for the target (x86-64 CPU code): gives each loop one exit for structurizecfg (AMDGPU); only adds blocks, and " +
    "opt 14 aborts on a broken module (PHI predecessors) after it on a corpus program (json)",
  "infer-address-spaces":
    "no meaning for the target (x86-64 CPU code): infers specific GPU address spaces for flat pointers; x86-64 has one address space (a no-op)",
  // Change what the module means to its users.
  metarenamer: "renames every global and function: breaks the module's interface",
  internalize: "makes every symbol internal, then dead: only valid for whole programs",
  loweratomic: "drops atomicity: wrong for multi-threaded code",
  // Offered by another entry.
  "inliner-wrapper-no-mandatory-first": "variant of inliner-wrapper for pass-ordering experiments",
};

/*
 * Kept on purpose, though written for GPUs: `lowerswitch` (switch → compare-and-branch
 * trees; correct on any target, and a search judges its size), `load-store-vectorizer`,
 * `separate-const-offset-from-gep`, `slsr`, `nary-reassociate`, `speculative-execution`,
 * `flattencfg`, `scalarizer` (target-independent IR transforms that also apply to CPUs).
 */

const EXCLUDED_PATTERNS: readonly [RegExp, string][] = [
  [/^print/, "printer: only prints analysis results"],
  [/^verify/, "verifier: only checks the IR"],
  [/^view-/, "viewer: only opens a graph viewer"],
  [/^dot-/, "printer: only writes a .dot file"],
  [/^no-op-/, "does nothing (pass-manager testing)"],
  [/^invalidate</, "only invalidates analyses (pass-manager testing)"],
];

/** Why `name` (without `<params>`) is never offered, or undefined when it is offered. */
export function exclusionReason(name: string): string | undefined {
  if (Object.hasOwn(LLVM_PASS_EXCLUSIONS, name)) return LLVM_PASS_EXCLUSIONS[name];
  return EXCLUDED_PATTERNS.find(([p]) => p.test(name))?.[1];
}

/** True when `name` (without `<params>`) is never offered; see `LLVM_PASS_EXCLUSIONS`. */
export function isExcludedPass(name: string): boolean {
  return exclusionReason(name) !== undefined;
}

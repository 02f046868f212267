/**
 * Passes of `opt -print-passes` (LLVM 14) that are transform-section entries but are
 * never offered to a search, with the reason. Name patterns (printers `print*`,
 * verifiers `verify*`, `view-*`, `dot-*`, `no-op-*`, `invalidate<…>`) are excluded
 * by `isExcludedPass` before this table is consulted; analysis sections are never read.
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
  // Change what the module means to its users.
  metarenamer: "renames every global and function: breaks the module's interface",
  internalize: "makes every symbol internal, then dead: only valid for whole programs",
  loweratomic: "drops atomicity: wrong for multi-threaded code",
  // Offered by another entry.
  "inliner-wrapper-no-mandatory-first": "variant of inliner-wrapper for pass-ordering experiments",
};

const EXCLUDED_PATTERNS: readonly RegExp[] = [/^print/, /^verify/, /^view-/, /^dot-/, /^no-op-/, /^invalidate</];

/** True when `name` (without `<params>`) is never offered; see `LLVM_PASS_EXCLUSIONS`. */
export function isExcludedPass(name: string): boolean {
  return name in LLVM_PASS_EXCLUSIONS || EXCLUDED_PATTERNS.some((p) => p.test(name));
}

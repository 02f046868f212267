import { BLOCK_COVERAGE_ENV, BLOCK_COVERAGE_FLAGS, BLOCK_COVERAGE_RUNTIME, readBlockHits } from "../verifier/block-coverage.js";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { contentId } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { LruMap } from "../framework/lru-map.js";
import { clipLog, runTool } from "../framework/run-tool.js";
import { withWorkDir } from "../framework/work-dir.js";
import { DEFAULT_LIMITS, describeStatus, runProgram } from "../verifier/run-program.js";
import type { RunSpec } from "../../kernel/plan/index.js";
import type { RunLimits } from "../verifier/verdict.js";
import { describeOutcomeDifference } from "./describe-call-outcome.js";
import { describeArgument, generateArguments, type ArgumentSlots } from "./function-inputs.js";
import { harnessControl, harnessSource, readHarnessOutput, withEntryPoints } from "./function-harness.js";
import { readFunctionSignature, scalarKindName, scalarKindOf, type FunctionSignature, type ScalarKind } from "./read-function-signature.js";
import { readModuleInterface, type ModuleInterface } from "./read-module-interface.js";

export interface FunctionTestResult {
  /** Functions whose original and transformed versions agreed on every compared input. */
  agreed: string[];
  /** The first disagreement found, if any: function and a sentence of evidence (inputs, both results). */
  disagreement?: {
    fn: string;
    evidence: string;
    /**
     * The function is internal (or private) in BEFORE: a correct transform may have
     * specialised it to what its callers pass (constant arguments, unused results), so
     * an input no caller passes can legitimately disagree. A lead, not a proof.
     */
    internal: boolean;
  };
  /** Functions that could not be tested, each with why (signature not supported, removed in AFTER, …). */
  untestable: { fn: string; why: string }[];
  /** Agreed functions some of whose calls were not compared, how many and why (reference crashed, …). */
  skipped: { fn: string; calls: number; why: string }[];
  /** How many calls were made per function (for the evidence). */
  callsPerFunction: number;
  /**
   * With `traceBlocks`: the guards the transformed harness hit (`readBlockHits`; AFTER's
   * blocks in module order, then one per entry point), and how many entry points follow.
   */
  blocks?: { hits: Uint8Array; entryPoints: number };
}

export interface FunctionTestOptions {
  /** Textual IR of the whole modules. */
  before: string;
  after: string;
  /** Names (without `@`, unquoted) of the changed functions to test. */
  functions: readonly string[];
  /** Path of clang (`findLlvmTools().clang`). */
  clang: string;
  /** Link flags every build uses (`["-lm"]`). */
  buildFlags: readonly string[];
  /** Limits of each harness run (`runProgram`); its time budget is half of `wallMs`. */
  limits?: RunLimits;
  /** Inputs per function; default 64. */
  calls?: number;
  /** Seed of the input generation; default 1. */
  seed?: number;
  /**
   * A verifier's per-process cache (`VerifyRequest.cache`): what BEFORE does on each
   * function's calls is kept there per BEFORE and settings, so a later call with the
   * same BEFORE builds and runs only AFTER's harness for the functions seen before.
   */
  cache?: Map<string, unknown>;
  /** Build the transformed harness with block coverage (`BLOCK_COVERAGE_FLAGS`) and return the blocks its calls executed. */
  traceBlocks?: boolean;
}

const DEFAULT_CALLS = 64;
const BUILD_MS = 120_000;
/** Real-time limit of one call in the reference; a call past it is skipped. */
const REFERENCE_CALL_MS = 250;
/** The same for the other builds: a call the reference finished must not time out there by chance. */
const COMPARED_CALL_MS = 8 * REFERENCE_CALL_MS;
/** Functions (with their settings) whose reference outcomes are kept per BEFORE. */
const MAX_REFERENCES_PER_BEFORE = 64;
const UNDEFINED_BEHAVIOUR = "its result depends on undefined behaviour (BEFORE built with `clang -O2` disagrees with `-O0`)";

/** A function both sides can call the same way. */
interface Target {
  fn: string;
  before: FunctionSignature;
  after: FunctionSignature;
  params: ScalarKind[];
  result: ScalarKind | undefined;
  internal: boolean;
}

/**
 * Differential tests of single functions, for changed functions the program's own runs
 * may never execute. Each side's module gets an external entry point per function
 * (`withEntryPoints`) and its `main` renamed; a generated C harness (`harnessSource`)
 * calls each function `calls` times with the same deterministic arguments on both sides
 * (integers, floats, doubles, pointers to fresh 256-byte buffers), each call in a forked
 * child, and prints the result's bits, the buffers' bytes and the captured output. Three
 * builds run sandboxed (`runProgram`): BEFORE and AFTER by `clang -O0`, and BEFORE by
 * `clang -O2` as a witness. A call is compared only when the reference finished it
 * (no crash, no timeout) and the witness agrees with the reference (else its result
 * depends on undefined behaviour, which a correct transform may exploit). With
 * `options.cache`, BEFORE's two builds and runs are made once per function, BEFORE and
 * settings (`referencesOf`): a later call builds and runs only AFTER's harness.
 *
 * Untestable: functions not defined on both sides, `main`, varargs, parameters passed
 * `byval`/`sret`/…, types other than integers up to 64 bits, float, double and pointers,
 * signatures whose kinds changed, and functions the reference never finished.
 * Throws `invalid_argument` for a module already holding harness symbols, and
 * `compiler_failed` when a harness build fails.
 */
export async function testFunctions(options: FunctionTestOptions): Promise<FunctionTestResult> {
  const calls = options.calls ?? DEFAULT_CALLS;
  if (!Number.isInteger(calls) || calls < 1) throw new OpmError("invalid_argument", `field \`calls\`: must be a positive integer, got ${calls}`, { field: "calls" });
  const result: FunctionTestResult = { agreed: [], untestable: [], skipped: [], callsPerFunction: calls };
  for (const [side, text] of [["before", options.before], ["after", options.after]] as const) {
    if (text.includes("@__opm_fut_") || text.includes("@__opm_original_main")) {
      throw new OpmError("invalid_argument", `field \`${side}\`: already defines the harness symbols \`__opm_fut_*\` / \`__opm_original_main\``, { field: side });
    }
  }
  const targets = selectTargets(options, result.untestable);
  if (targets.length === 0) return result;
  const args = targets.map((t) => generateArguments(t.params, calls, options.seed ?? 1, t.fn));
  const references = Promise.all(referencesOf(options, targets, args));
  references.catch(() => undefined); // awaited below; handled now in case writing the harness fails first

  const [refs, got] = await withWorkDir("opm-fntest-", async (dir) => {
    await writeFile(join(dir, "harness.c"), harnessSource(targets, args));
    await writeFile(join(dir, "after.ll"), withEntryPoints(options.after, targets.map((t) => t.after)));
    const hitsFile = join(dir, "block-hits");
    // Settled: the build must not still write into `dir` when withWorkDir removes it.
    const [built, known] = await Promise.allSettled([buildHarness(options, dir, "-O0", "after.ll", "transformed", options.traceBlocks === true), references]);
    if (known.status === "rejected") throw known.reason;
    if (built.status === "rejected") throw built.reason;
    const env = options.traceBlocks === true ? { [BLOCK_COVERAGE_ENV]: hitsFile } : undefined;
    const outcomes = await runHarness(options, built.value, "transformed", COMPARED_CALL_MS, known.value.map((r) => finished(r.ref)), env);
    const hits = options.traceBlocks === true ? await readBlockHits(hitsFile) : undefined;
    if (hits !== undefined) result.blocks = { hits, entryPoints: targets.length };
    return [known.value, outcomes] as const;
  });
  targets.forEach((t, i) => judgeFunction(t, args[i]!, { ...refs[i]!, got: got[i]! }, result));
  return result;
}

/**
 * What BEFORE does on each target's calls, from `options.cache` when an earlier call
 * already ran that function with the same settings; the others are built and run
 * together (`buildReferences`) and kept, at most `MAX_REFERENCES_PER_BEFORE` functions
 * per BEFORE, the oldest dropped. A failed build is not kept, so a later call retries it.
 */
function referencesOf(options: FunctionTestOptions, targets: readonly Target[], args: readonly ArgumentSlots[][]): Promise<Reference>[] {
  const cacheKey = `llvm\0fntest\0${contentId(Buffer.from(options.before))}`;
  let store = options.cache?.get(cacheKey) as LruMap<string, Promise<Reference>> | undefined;
  if (options.cache !== undefined && store === undefined) options.cache.set(cacheKey, (store = new LruMap(MAX_REFERENCES_PER_BEFORE)));
  // Everything a function's reference depends on besides BEFORE (its signature and arguments follow from BEFORE, `calls`, `seed`).
  const settings = JSON.stringify([options.calls ?? DEFAULT_CALLS, options.seed ?? 1, options.buildFlags, options.clang, options.limits ?? {}]);
  const keys = targets.map((t) => `${JSON.stringify(t.fn)}\0${settings}`);
  const found = keys.map((k) => store?.get(k));
  const missing = targets.flatMap((_, i) => (found[i] === undefined ? [i] : []));
  if (missing.length === 0) return found as Promise<Reference>[];
  const built = buildReferences(options, missing.map((i) => targets[i]!), missing.map((i) => args[i]!));
  return found.map((hit, i) => {
    if (hit !== undefined) return hit;
    const made = built.then((r) => r[missing.indexOf(i)]!);
    if (store !== undefined) {
      store.set(keys[i]!, made);
      made.catch(() => {
        if (store.get(keys[i]!) === made) store.delete(keys[i]!);
      });
    }
    return made;
  });
}

/**
 * BEFORE's harness built by `clang -O0` (the reference) and `clang -O2` (the witness)
 * and run: the reference on every call, the witness on the calls the reference finished.
 */
async function buildReferences(options: FunctionTestOptions, targets: readonly Target[], args: readonly ArgumentSlots[][]): Promise<Reference[]> {
  return withWorkDir("opm-fntest-", async (dir) => {
    await writeFile(join(dir, "harness.c"), harnessSource(targets, args));
    await writeFile(join(dir, "before.ll"), withEntryPoints(options.before, targets.map((t) => t.before)));
    // Settled, not Promise.all: no build may still write into `dir` when withWorkDir removes it.
    const builds = await Promise.allSettled([buildHarness(options, dir, "-O0", "before.ll", "reference"), buildHarness(options, dir, "-O2", "before.ll", "witness")]);
    const failed = builds.find((b) => b.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    const [reference, witness] = builds.map((b) => (b as PromiseFulfilledResult<string>).value) as [string, string];
    const ref = await runHarness(options, reference, "reference", REFERENCE_CALL_MS, args.map((a) => a.map(() => true)));
    const wit = await runHarness(options, witness, "witness", COMPARED_CALL_MS, ref.map(finished));
    return ref.map((r, i) => ({ ref: r, wit: wit[i]! }));
  });
}

/** Which calls the reference finished (returned or exited): the only ones the other runs make. */
function finished(ref: Outcomes): boolean[] {
  return ref.calls.map((o) => /^(ret=|exit )/.test(o ?? ""));
}

/**
 * `clang <level>` of the harness with `module` into `dir/out`; its path. With `traced`,
 * `module` alone is built with block coverage (the harness is compiled apart, so its own
 * blocks take no guards) and linked with the coverage runtime.
 */
async function buildHarness(options: FunctionTestOptions, dir: string, level: string, module: string, out: string, traced = false): Promise<string> {
  let sources = ["harness.c", module];
  if (traced) {
    const object = `${out}-harness.o`;
    await writeFile(join(dir, "block-hits.c"), BLOCK_COVERAGE_RUNTIME);
    const h = await runTool(options.clang, [level, "-w", "-c", "harness.c", "-o", object], { cwd: dir, timeoutMs: BUILD_MS, missingPackage: "clang" });
    if (h.exitCode !== 0) throw new OpmError("compiler_failed", "the function-test harness does not compile", { detail: clipLog(h.stderr, 1500) });
    sources = [...BLOCK_COVERAGE_FLAGS, module, "block-hits.c", object];
  }
  const r = await runTool(options.clang, [level, "-w", ...sources, ...options.buildFlags, "-o", out], { cwd: dir, timeoutMs: BUILD_MS, missingPackage: "clang" });
  if (r.exitCode !== 0) {
    throw new OpmError("compiler_failed", `the function-test harness does not build with ${module} (\`clang ${level}\`)`, { detail: clipLog(r.stderr, 1500) });
  }
  return join(dir, out);
}

/** One run of harness `exe` making the calls `mask` selects; each function's outcomes. */
async function runHarness(options: FunctionTestOptions, exe: string, name: string, callMs: number, mask: boolean[][], env?: Record<string, string>): Promise<Outcomes[]> {
  const limits = options.limits ?? {};
  const budgetMs = (limits.wallMs ?? DEFAULT_LIMITS.wallMs) / 2;
  const contents = Buffer.from(harnessControl(callMs, budgetMs, mask));
  const control: RunSpec = { name, args: ["control"], stdin: new Uint8Array(), files: [{ name: "control", contents }], env: {}, compare: ["stdout"] };
  const r = await runProgram(exe, control, limits, env);
  const printed = readHarnessOutput(r.stdout.toString("latin1"));
  const status = `the ${name} run ended: ${describeStatus(r)}`;
  return mask.map((calls, i) => ({ calls: calls.map((_, c) => printed.get(`${i} ${c}`)), status }));
}

/** The functions that can be tested; the others go to `untestable` with why. */
function selectTargets(options: FunctionTestOptions, untestable: FunctionTestResult["untestable"]): Target[] {
  const sides = { before: readModuleInterface(options.before), after: readModuleInterface(options.after) };
  const targets: Target[] = [];
  for (const fn of new Set(options.functions)) {
    const why = (reason: string): void => void untestable.push({ fn, why: reason });
    if (fn === "main") {
      why("`main` is what the program's own runs test");
      continue;
    }
    const before = signatureOf(options.before, sides.before, fn);
    const after = signatureOf(options.after, sides.after, fn);
    if (before === undefined) {
      why("not defined in BEFORE");
      continue;
    }
    if (after === undefined) {
      why("not defined in AFTER (inlined into its callers and removed?): its callers are what is tested");
      continue;
    }
    const problem = unsupported(before, "BEFORE") ?? unsupported(after, "AFTER");
    if (problem !== undefined) {
      why(`signature not supported: ${problem}`);
      continue;
    }
    const shape = (s: FunctionSignature): string => `${kindText(scalarKindOf(s.returnType))} (${s.params.map((p) => kindText(scalarKindOf(p.type))).join(", ")})`;
    if (shape(before) !== shape(after)) {
      why(`signature changed: BEFORE \`${shape(before)}\`, AFTER \`${shape(after)}\` (interprocedural passes rewrite internal functions; their callers are what is tested)`);
      continue;
    }
    const internal = before.linkage === "internal" || before.linkage === "private";
    targets.push({ fn, before, after, params: before.params.map((p) => scalarKindOf(p.type)!), result: scalarKindOf(before.returnType), internal });
  }
  return targets;
}

function signatureOf(text: string, module: ModuleInterface, fn: string): FunctionSignature | undefined {
  const symbol = module.symbols.get(fn) ?? module.symbols.get(JSON.stringify(fn));
  return symbol === undefined ? undefined : readFunctionSignature(text, symbol);
}

/** Why a harness cannot call `s`, or undefined when it can. */
function unsupported(s: FunctionSignature, side: string): string | undefined {
  if (s.varargs) return `takes variable arguments (\`...\`) in ${side}`;
  for (const [i, p] of s.params.entries()) {
    if (p.passing !== undefined) return `parameter ${i + 1} is passed \`${p.passing}\` in ${side} (a struct by value or an ABI special)`;
    if (scalarKindOf(p.type) === undefined) return `parameter ${i + 1} has type \`${p.type}\` in ${side} (only integers up to 64 bits, float, double and pointers)`;
  }
  if (s.returnType !== "void" && scalarKindOf(s.returnType) === undefined) return `returns \`${s.returnType}\` in ${side} (only void, integers up to 64 bits, float, double and pointers)`;
  return undefined;
}

function kindText(k: ScalarKind | undefined): string {
  return k === undefined ? "void" : scalarKindName(k);
}

/** What one harness run printed for one function, per call (undefined: nothing), and how the run ended. */
interface Outcomes {
  calls: (string | undefined)[];
  status: string;
}

/** What BEFORE does on one function's calls: built by `clang -O0` (the reference) and by `clang -O2` (the witness). */
interface Reference {
  ref: Outcomes;
  wit: Outcomes;
}

/** Compares function `t`'s calls and records the verdict in `result`. */
function judgeFunction(t: Target, args: readonly ArgumentSlots[], runs: { ref: Outcomes; got: Outcomes; wit: Outcomes }, result: FunctionTestResult): void {
  const skips = new Map<string, number>();
  const skip = (why: string): void => void skips.set(why, (skips.get(why) ?? 0) + 1);
  let compared = 0;
  let first: { call: number; ref: string; got: string } | undefined;
  for (let c = 0; c < args.length; c++) {
    const [ref, got, wit] = [runs.ref.calls[c], runs.got.calls[c], runs.wit.calls[c]];
    if (ref === undefined || ref === "budget") skip(ref === undefined ? `no outcome (${runs.ref.status})` : "the reference run's time budget was spent");
    else if (ref === "timeout") skip(`the reference timed out (${REFERENCE_CALL_MS} ms)`);
    else if (ref.startsWith("crash ")) skip(`the reference crashed (${ref.slice(6)})`);
    else if (wit === undefined || wit === "budget") skip(wit === undefined ? `no outcome (${runs.wit.status})` : "the witness run's time budget was spent");
    else if (wit !== ref) skip(UNDEFINED_BEHAVIOUR);
    else if (got === undefined || got === "budget") skip(got === undefined ? `no outcome (${runs.got.status})` : "the transformed run's time budget was spent");
    else {
      compared++;
      if (got !== ref && first === undefined) first = { call: c, ref, got };
    }
  }
  const skipText = [...skips].map(([why, n]) => `${why} ×${n}`).join(", ");
  if (first !== undefined) {
    if (result.disagreement !== undefined) {
      result.disagreement.evidence += `; @${t.fn} disagrees too`;
      return;
    }
    const inputs = args[first.call]!.map((v, k) => describeArgument(t.params[k]!, v)).join(", ");
    const caveat = t.internal
      ? `; @${t.fn} is internal in BEFORE, so AFTER may rely on what its callers pass (constant arguments, unused results): treat this as a lead, not a proof`
      : "";
    result.disagreement = {
      fn: t.fn,
      evidence: `@${t.fn}(${inputs}) (call ${first.call + 1} of ${args.length}): ${describeOutcomeDifference(first.ref, first.got, t.result)}; ${compared} call(s) compared${skipText ? `, skipped: ${skipText}` : ""}${caveat}`,
      internal: t.internal,
    };
  } else if (compared === 0) {
    result.untestable.push({ fn: t.fn, why: `none of its ${args.length} calls could be compared: ${skipText}` });
  } else {
    result.agreed.push(t.fn);
    if (skips.size > 0) result.skipped.push({ fn: t.fn, calls: args.length - compared, why: skipText });
  }
}

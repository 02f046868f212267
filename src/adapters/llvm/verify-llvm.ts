import { cached } from "../verifier/cached.js";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { textBytes } from "../framework/elf.js";
import { clipLog, runTool } from "../framework/run-tool.js";
import { withWorkDir } from "../framework/work-dir.js";
import type { Objective } from "../../kernel/plan/index.js";
import { findLlvmTools } from "./find-llvm-tools.js";
import { countInstructions } from "./inst-count-features.js";
import { readLlvmIr } from "./read-llvm-ir.js";
import { contentId } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { compareCfgShapes } from "./compare-cfg-shapes.js";
import { compareModuleInterfaces } from "./compare-module-interfaces.js";
import { differentialLayer, runReference, runsKey, runsOf, type ReferenceOutcome, type Runs } from "../verifier/differential-execution.js";
import { COVERAGE_FLAGS, executedFunctions } from "../verifier/coverage.js";
import { judgeCoverage, type ChangedFunction, type DirectTests } from "../verifier/earned-semantics.js";
import { testFunctions } from "./function-tests.js";
import { blockGuards, changedFunctions, executedBlocks, reachableFunctions } from "./changed-functions.js";
import { BLOCK_COVERAGE_ENV, BLOCK_COVERAGE_FLAGS, BLOCK_COVERAGE_RUNTIME, readBlockHits } from "../verifier/block-coverage.js";
import type { IrModule } from "./read-llvm-ir.js";
import { metricLayer } from "../verifier/metric-layer.js";
import { readArtifact } from "../verifier/read-artifact.js";
import { textualIr } from "./textual-ir.js";
import { readModuleInterface, type ModuleInterface } from "./read-module-interface.js";
import type { LayerResult, Verdict, VerifyRequest } from "../verifier/verdict.js";
import { VerdictBuilder } from "../verifier/verdict-builder.js";
import { instructionCountOf, textSizeBy, verifiedBy } from "./artifact-memo.js";
import { libraryFlags } from "../framework/library-name.js";
import { readDependentLibraries } from "./dependent-libraries.js";

const TOOL_MS = 120_000;

/** Reference settings kept per BEFORE (different runs, sources or limits); the oldest go first. */
const MAX_REFERENCES_PER_BEFORE = 8;

/**
 * What the verifier derives from BEFORE alone, kept in `request.cache` under
 * `llvm\0before\0<SHA-256 of BEFORE>\0<opt>`: an adapter verifies every evaluation of a
 * problem against the same BEFORE, so these are per problem, not per evaluation.
 */
interface BeforeFacts {
  /** What `opt -passes=verify` says against BEFORE; undefined when it accepts it. */
  problem: string | undefined;
  /** `readModuleInterface(BEFORE)` (read-only). */
  interface: ModuleInterface;
  /** `readDependentLibraries(BEFORE)`. */
  libraries: string[];
  /** `readLlvmIr(BEFORE)` (read-only), for the functions a transform changed. */
  module: IrModule;
  /** `reachableFunctions(BEFORE)`: the functions the program can run. */
  reachable: Set<string>;
  /** BEFORE as text, for direct tests of functions no run entered. */
  text: string;
  /** The reference's build and runs, by everything they depend on besides BEFORE (`referenceKey`). */
  references: Map<string, Promise<ReferenceOutcome>>;
}

/**
 * The LLVM verifier (BEFORE and AFTER are textual IR, or bitcode read through `llvm-dis`):
 * 1. well-formed — `opt -passes=verify` accepts AFTER (BEFORE must pass too, else bad input);
 * 2. interface — `compareModuleInterfaces`, plus `compareCfgShapes` when `cfg` is claimed;
 * 3. semantics — both modules built by `clang -O0`, linked with `-l<lib>` for each of
 *    `request.libraries` (by default BEFORE's `!llvm.dependent-libraries`), run on the
 *    runs (`runsOf`: the request's run specifications and input files), the reference
 *    also built from `source` with UBSan (and the same libraries) when a source is
 *    given; the runs must agree and must have entered every function the transform
 *    changed (`judgeCoverage`, from a profile-instrumented build of BEFORE), else the
 *    layer is undecided and names what they did not exercise;
 * 4. metric — `ir-instcount` (`countInstructions`) and, for `text-size`, `.text*` of
 *    `llc -filetype=obj` on AFTER, against the claim; SHA-256 of AFTER against the digest.
 *
 * With `request.cache`, what depends on BEFORE alone — its verification, interface and
 * libraries, and the reference's builds and runs with their coverage (per source,
 * runs, limits, libraries and clang) — is computed once per BEFORE. A tool
 * run this process already made on the same AFTER bytes with the same tool
 * (`artifact-memo.ts`: the evaluation that produced AFTER) is not repeated. AFTER is
 * built for layer 3 while layers 1 and 2 are checked.
 */
export async function verifyLlvm(request: VerifyRequest, invariants: ReadonlySet<string>): Promise<Verdict> {
  const tools = findLlvmTools();
  const builder = new VerdictBuilder(request.runAllLayers ?? false);
  return withWorkDir("opm-verify-", async (dir) => {
    // Bitcode (`opm verify --before prog.bc`) is read as the textual IR it encodes.
    const before = await textualIr(await readArtifact(request.before, "before"), tools["llvm-dis"], dir, "before-input", "before");
    const after = await textualIr(await readArtifact(request.after, "after"), tools["llvm-dis"], dir, "after-input", "after");
    const verify = async (file: string): Promise<string | undefined> => {
      const r = await runTool(tools.opt, ["-passes=verify", "-disable-output", file], { cwd: dir, timeoutMs: TOOL_MS });
      return r.exitCode === 0 ? undefined : clipLog(r.stderr, 1500).trim() || `exit ${r.exitCode ?? r.signal}`;
    };
    let beforeWritten: Promise<void> | undefined;
    const writeBefore = (): Promise<void> => (beforeWritten ??= writeFile(join(dir, "before.ll"), before));
    const afterDigest = contentId(after);
    await writeFile(join(dir, "after.ll"), after);

    const facts = await cached(request.cache, `llvm\0before\0${contentId(before)}\0${tools.opt}`, async (): Promise<BeforeFacts> => {
      await writeBefore();
      const problem = await verify("before.ll");
      const text = before.toString("utf8");
      const module = problem === undefined ? readLlvmIr(text) : { functions: [], declarations: 0 };
      return {
        problem,
        interface: problem === undefined ? readModuleInterface(text) : { symbols: new Map(), triple: undefined, datalayout: undefined },
        libraries: readDependentLibraries(text),
        module,
        reachable: reachableFunctions(module, text),
        text,
        references: new Map(),
      };
    });
    if (facts.problem !== undefined) throw new OpmError("invalid_argument", `field \`before\`: not valid LLVM IR: ${facts.problem}`, { field: "before" });
    const libraries = request.libraries ?? facts.libraries;
    const buildFlags = libraryFlags(libraries);
    const build = async (args: string[], out: string): Promise<string | undefined> => {
      const r = await runTool(tools.clang, ["-O0", "-w", ...args, ...buildFlags, "-o", out], { cwd: dir, timeoutMs: TOOL_MS, missingPackage: "clang" });
      return r.exitCode === 0 ? undefined : clipLog(r.stderr, 1200).trim();
    };

    // Started now, awaited by layer 3: it does not depend on layers 1 and 2's answers.
    // Built with block coverage: layer 3 learns which of its blocks the runs executed.
    const afterBuild = background(writeFile(join(dir, "block-hits.c"), BLOCK_COVERAGE_RUNTIME).then(() => build([...BLOCK_COVERAGE_FLAGS, "after.ll", "block-hits.c"], "transformed")));
    try {
      const known = verifiedBy(afterDigest, tools.opt);
      const afterProblem = known ? undefined : await verify("after.ll");
      const accepted = `\`${tools.opt} -passes=verify\` accepts AFTER${known ? ` (sha256 ${afterDigest}: run by this process on these bytes when it produced them)` : ""}`;
      builder.add(afterProblem === undefined
        ? { name: "well-formed", ok: true, evidence: accepted }
        : { name: "well-formed", ok: false, evidence: `\`opt -passes=verify\` rejects AFTER: ${afterProblem}` });
      if (builder.stopped() || afterProblem !== undefined) return builder.verdict();

      const afterText = after.toString("utf8");
      builder.add(interfaceLayer(facts.interface, before, afterText, invariants));
      if (builder.stopped()) return builder.verdict();

      builder.add(await semanticsLayer(request, facts, afterText, buildFlags, tools, build, writeBefore, afterBuild, dir));
      if (builder.stopped()) return builder.verdict();

      const objective: Objective = request.objective ?? "ir-instcount";
      const recomputed: Partial<Record<Objective, number>> = { "ir-instcount": instructionCountOf(afterDigest) ?? countInstructions(readLlvmIr(afterText)) };
      const knownTextSize = objective === "text-size" ? textSizeBy(afterDigest, tools.llc) : undefined;
      if (knownTextSize !== undefined) recomputed["text-size"] = knownTextSize;
      else if (objective === "text-size") {
        const r = await runTool(tools.llc, ["-filetype=obj", "after.ll", "-o", "after.o"], { cwd: dir, timeoutMs: TOOL_MS, deterministic: true });
        if (r.exitCode !== 0) builder.add({ name: "metric", ok: false, evidence: `llc cannot compile AFTER to measure text-size: ${clipLog(r.stderr, 800)}` });
        else recomputed["text-size"] = textBytes(await readFile(join(dir, "after.o")));
      }
      if (!builder.layers.some((l) => l.name === "metric")) {
        builder.add(metricLayer(after, recomputed, objective, request.claimedMetric, request.claimedOutputDigest));
      }
      return builder.verdict();
    } finally {
      // Nothing may still write into `dir` when withWorkDir removes it.
      await Promise.allSettled([afterBuild]);
    }
  });
}

function interfaceLayer(b: ModuleInterface, before: Buffer, afterText: string, invariants: ReadonlySet<string>): LayerResult {
  const a = readModuleInterface(afterText);
  const problems = compareModuleInterfaces(b, a);
  const checked = ["exported symbols, signatures, global initial values, undefined externals"];
  if (invariants.has("cfg")) {
    problems.push(...compareCfgShapes(readLlvmIr(before.toString("utf8")), readLlvmIr(afterText)).map((p) => `claimed CFG preservation broken: ${p}`));
    checked.push("claimed invariant cfg (blocks and successors per function)");
  }
  if (problems.length > 0) {
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : "";
    return { name: "interface", ok: false, evidence: `${problems.slice(0, 5).join("; ")}${more}` };
  }
  const exported = [...b.symbols.values()].filter((s) => s.defined && !["private", "internal"].includes(s.linkage)).length;
  return { name: "interface", ok: true, evidence: `unchanged: ${checked.join("; ")} (${exported} exported symbol(s), ${a.symbols.size} symbol(s) in AFTER)` };
}

/**
 * Layer 3: the runs must agree, and they must have exercised what the transform changed
 * (`judgeCoverage`): the reference is also built with profile instrumentation
 * (`COVERAGE_FLAGS`) and run on the same runs, which tells which functions they entered.
 */
async function semanticsLayer(
  request: VerifyRequest, facts: BeforeFacts, afterText: string, buildFlags: readonly string[], tools: ReturnType<typeof findLlvmTools>,
  build: (args: string[], out: string) => Promise<string | undefined>, writeBefore: () => Promise<void>,
  afterBuild: Promise<string | undefined>, dir: string,
): Promise<LayerResult> {
  const runs = await runsOf(request);
  const limits = request.limits ?? {};
  const key = await referenceKey(request, runs, buildFlags, tools.clang);
  let reference = facts.references.get(key);
  if (reference === undefined) {
    reference = (async (): Promise<ReferenceOutcome> => {
      await writeBefore();
      const failed = await build(["before.ll"], "reference");
      if (failed !== undefined) return { runs: [], ubsan: "", undecided: `the reference (BEFORE) does not build with \`clang -O0${flagText(buildFlags)}\`: ${failed}` };
      let ubsanExe: string | undefined;
      let note = "UBSan not run: no C source given (UBSan instruments in clang's front end, so IR alone cannot be checked)";
      if (request.source !== undefined) {
        const bad = await build(["-fsanitize=undefined", "-fno-sanitize-recover=all", request.source], "reference-ubsan");
        if (bad !== undefined) return { runs: [], ubsan: "", undecided: `the C source does not build with UBSan: ${bad}` };
        ubsanExe = join(dir, "reference-ubsan");
        note = "";
      }
      const outcome = await runReference(join(dir, "reference"), ubsanExe, note, runs, limits);
      if (outcome.undecided !== undefined) return outcome;
      const instrumented = await build([...COVERAGE_FLAGS, "before.ll"], "reference-coverage");
      const coverage = instrumented !== undefined
        ? { unknown: `the coverage build of BEFORE failed: ${instrumented}` }
        : await executedFunctions(join(dir, "reference-coverage"), runs, limits, tools["llvm-profdata"], dir);
      return { ...outcome, coverage };
    })();
    if (request.cache !== undefined) {
      facts.references.set(key, reference);
      reference.catch(() => {
        if (facts.references.get(key) === reference) facts.references.delete(key);
      });
      while (facts.references.size > MAX_REFERENCES_PER_BEFORE) facts.references.delete(facts.references.keys().next().value!);
    }
  }
  const outcome = await reference;
  if (outcome.undecided !== undefined) return { name: "semantics", ok: false, decided: false, evidence: `undecided: ${outcome.undecided}` };
  const failed = await afterBuild;
  if (failed !== undefined) return { name: "semantics", ok: false, evidence: `AFTER does not build into a program with \`clang -O0${flagText(buildFlags)}\`: ${failed}` };
  const hitsFile = join(dir, "block-hits");
  const layer = await differentialLayer(outcome, join(dir, "transformed"), runs, limits, { [BLOCK_COVERAGE_ENV]: hitsFile });
  if (!layer.ok) return layer;
  const runsEvidence = `${layer.evidence}; both built by \`clang -O0${flagText(buildFlags)}\``;
  const coverage = outcome.coverage ?? { unknown: "not measured" };
  if ("unknown" in coverage) return { name: "semantics", ok: false, decided: false, evidence: `undecided: the runs agree, but which functions they entered is unknown (${coverage.unknown}); ${runsEvidence}` };
  const afterModule = readLlvmIr(afterText);
  const changed = changedFunctions(facts.module, afterModule);
  const { guards, total } = blockGuards(afterModule);
  const hits = await readBlockHits(hitsFile);
  // Trusted only when clang placed exactly the guards `blockGuards` expects.
  const ran = hits !== undefined && hits.length === total + 1 ? executedBlocks(guards, hits) : undefined;
  const open = (f: ChangedFunction): boolean => ran === undefined
    ? !coverage.executed.has(f.name)
    : (f.changedBlocks ?? []).some((n, i) => n > 0 && !ran.get(f.name)?.has(i));
  const untested = changed.filter((f) => !f.added && facts.reachable.has(f.name) && open(f)).map((f) => f.name);
  const direct = untested.length === 0 ? undefined : await testUnreached(request, facts, afterText, untested, buildFlags, tools.clang, ran !== undefined ? guards : undefined, total);
  if (direct !== undefined && "rejected" in direct) return direct.rejected;
  const blocksNote = ran === undefined ? `; blocks not traced (${hits === undefined ? "no run set the trace up" : `${hits.length - 1} guards where ${total} blocks were expected`}), counted by function` : "";
  return judgeCoverage({
    runsEvidence: runsEvidence + blocksNote, changed, executed: coverage.executed, reachable: facts.reachable,
    ...(direct !== undefined ? { direct } : {}),
    ...(ran !== undefined ? { blocks: { runs: ran, ...(direct?.blocks !== undefined ? { direct: direct.blocks } : {}) } } : {}),
    ...(request.requiredCoverage !== undefined ? { required: request.requiredCoverage } : {}),
  });
}

/**
 * Changed functions no run entered, tested directly (`testFunctions`): generated
 * arguments, the original and the transformed function called side by side. An exported
 * function that disagrees rejects the transform. A static one that disagrees is only not
 * covered: a correct interprocedural optimisation may specialise it to what its callers
 * pass, so the disagreement is evidence for a run to settle, not a verdict.
 */
async function testUnreached(
  request: VerifyRequest, facts: BeforeFacts, afterText: string, functions: string[], buildFlags: readonly string[], clang: string,
  guards: ReadonlyMap<string, readonly (number | undefined)[]> | undefined, total: number,
): Promise<(DirectTests & { blocks?: Map<string, Set<number>> }) | { rejected: LayerResult }> {
  const result = await testFunctions({
    before: facts.text, after: afterText, functions, clang, buildFlags, ...(request.limits !== undefined ? { limits: request.limits } : {}),
    ...(request.cache !== undefined ? { cache: request.cache } : {}), traceBlocks: guards !== undefined,
  });
  const d = result.disagreement;
  if (d !== undefined && !d.internal) {
    return { rejected: { name: "semantics", ok: false, evidence: `direct test of @${d.fn}, whose changed code no run executed: ${d.evidence}` } };
  }
  const untestable = [...result.untestable, ...(d === undefined ? [] : [{ fn: d.fn, why: `static function disagrees on generated inputs (${d.evidence}); a run must decide` }])];
  // The harness's module is AFTER with one entry point appended per function tested.
  const b = result.blocks;
  const blocks = guards !== undefined && b !== undefined && b.hits.length === total + b.entryPoints + 1 ? executedBlocks(guards, b.hits) : undefined;
  return { agreed: result.agreed, untestable, callsPerFunction: result.callsPerFunction, ...(blocks !== undefined ? { blocks } : {}) };
}

/**
 * Everything the reference's build and runs depend on besides BEFORE: the C source (path
 * and contents), the runs (their canonical digest), the limits, the build flags
 * (linker, libraries) and clang.
 */
async function referenceKey(request: VerifyRequest, runs: Runs, buildFlags: readonly string[], clang: string): Promise<string> {
  const digestOf = async (path: string): Promise<string> => {
    try {
      return contentId(await readFile(path));
    } catch {
      return "unreadable"; // the build or run reports it
    }
  };
  const source = request.source === undefined ? null : [request.source, await digestOf(request.source)];
  return JSON.stringify([clang, buildFlags, source, runsKey(runs), request.limits ?? {}]);
}


/** `promise`, marked handled now so that a rejection before anyone awaits it is not an unhandled rejection. */
function background<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function flagText(flags: readonly string[]): string {
  return flags.length > 0 ? ` ${flags.join(" ")}` : "";
}

import { cached } from "../verifier/cached.js";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { contentId } from "../../kernel/codec/index.js";
import { decodeCBundle, isCBundle, writeCBundle, type CBundleUnit } from "../framework/c-bundle.js";
import { readSections, textBytes } from "../framework/elf.js";
import { clipLog, findExecutable, runTool, type ToolResult } from "../framework/run-tool.js";
import { libraryFlags } from "../framework/library-name.js";
import { withWorkDir } from "../framework/work-dir.js";
import type { Objective } from "../../kernel/plan/index.js";
import { isOpmError, OpmError } from "../../kernel/errors/index.js";
import { differentialLayer, runReference, runsKey, runsOf, type ReferenceOutcome } from "../verifier/differential-execution.js";
import { judgeCoverage, type ChangedFunction } from "../verifier/earned-semantics.js";
import { metricLayer } from "../verifier/metric-layer.js";
import { readArtifact } from "../verifier/read-artifact.js";
import type { LayerResult, Verdict, VerifyRequest } from "../verifier/verdict.js";
import { VerdictBuilder } from "../verifier/verdict-builder.js";
import { isArArchive, readArArchive } from "./ar-archive.js";
import { mapConcurrent } from "../framework/map-concurrent.js";
import { compileUnits, unitObject } from "./gcc-bundle.js";
import { changedGccFunctions } from "./changed-gcc-functions.js";
import { buildCoverageProgram, measureCoverage, type GccCoverage } from "./gcc-coverage.js";
import { gccInterfaceLayer } from "./gcc-interface-layer.js";
import { readObjectSymbols } from "./object-symbols.js";

const TOOL_MS = 120_000;

/**
 * The GCC verifier. BEFORE is the C source or a C bundle (`CBundle`, several units),
 * AFTER the object file the plan produced or, for a bundle, the archive of one object
 * per unit (`unit_<i>.o` in unit order); `planOptions` are the plan's options and
 * `libraries` (with the bundle's own) what the program links:
 * 1. well-formed — AFTER is an ELF relocatable object (an archive of exactly one per
 *    unit), and (with `planOptions`) every unit compiles cleanly with those options plus
 *    `-fchecking` (GCC's internal consistency checks: no internal compiler error, exit 0);
 * 2. interface — `nm` of each AFTER object against the `gcc -O0` reference object of
 *    the same unit: the same defined global symbols of the same kind (code/data), no new
 *    undefined symbol beyond the C library. Not covered: signatures and initial values
 *    (an object file has no types).
 * 3. semantics — the reference (`gcc -O0` objects linked) and its UBSan build against
 *    AFTER's objects linked by gcc, each with `-l` for every library (a single C file
 *    also gets `-lm`), on the runs (`runsOf`); the runs must agree and must have entered
 *    every function AFTER defines that the program can run (`judgeCoverage`; the changed
 *    functions are `changedGccFunctions`, sized in bytes), which clang's profile-instrumented
 *    build of the same units tells (`buildCoverageProgram`) — else the layer is undecided
 *    and names what they did not exercise, or why that is unknown (clang cannot compile
 *    the program);
 * 4. metric — `text-size` (`.text*` of AFTER's objects, summed), `code-size` (AFTER's
 *    objects linked with the plan's options and the libraries), SHA-256 of AFTER.
 * Reference objects, and the reference's builds and runs with their coverage (per runs,
 * limits and libraries), are kept in `request.cache` per BEFORE: the clang build costs
 * once per problem, not per evaluation.
 */
export async function verifyGcc(request: VerifyRequest, invariants: ReadonlySet<string>): Promise<Verdict> {
  const before = await readArtifact(request.before, "before");
  const after = await readArtifact(request.after, "after");
  const gcc = findExecutable("gcc");
  const nm = findExecutable("nm");
  if (gcc === undefined || nm === undefined) throw new OpmError("tool_missing", "`gcc` and `nm` are needed; install the Debian packages `gcc` and `binutils`");
  const bundle = isCBundle(before) ? decodeCBundle(before) : undefined;
  const units: CBundleUnit[] = bundle?.units ?? [{ path: "before.c", args: [] }];
  const libraries = libraryFlags([...(bundle?.libraries ?? []), ...(request.libraries ?? [])]);
  const runLibraries = bundle !== undefined ? libraries : libraryFlags(["m", ...(request.libraries ?? [])]);
  const options = [...(request.planOptions ?? [])];
  const builder = new VerdictBuilder(request.runAllLayers ?? false);
  return withWorkDir("opm-verify-gcc-", async (dir) => {
    const root = join(dir, "root");
    const objects = (prefix: string): string[] => units.map((_, i) => unitObject(i, prefix));
    /** Compiles every unit; the first failure as `unit: stderr`, or undefined. */
    const compile = async (flags: string[], prefix: string): Promise<string | undefined> => {
      const results = await compileUnits(gcc, units, flags, root, prefix, () => TOOL_MS);
      const i = results.findIndex((r) => r.exitCode !== 0);
      return i < 0 ? undefined : `${bundle !== undefined ? `\`${units[i]!.path}\`: ` : ""}${failure(results[i]!)}`;
    };
    const link = async (args: string[]): Promise<string | undefined> =>
      failure(await runTool(gcc, args, { cwd: dir, timeoutMs: TOOL_MS, deterministic: true }));
    if (bundle !== undefined) await writeCBundle(bundle, root);
    else {
      await mkdir(root);
      await writeFile(join(root, "before.c"), before);
    }
    const digest = contentId(before);
    const referenceObjects = await cached(request.cache, `gcc\0objects\0${digest}`, async () => {
      const failed = await compile(["-O0", "-w"], "reference");
      if (failed !== undefined) {
        throw new OpmError("invalid_argument", `field \`before\`: the C ${bundle !== undefined ? "bundle" : "source"} does not compile with \`gcc -O0\`: ${failed}`, { field: "before" });
      }
      return Promise.all(objects("reference").map((o) => readFile(join(dir, o))));
    });
    await Promise.all(referenceObjects.map((bytes, i) => writeFile(join(dir, unitObject(i, "reference")), bytes)));

    // Layer 1.
    const split = splitAfter(after, units.length, bundle !== undefined);
    if (typeof split === "string") {
      builder.add({ name: "well-formed", ok: false, evidence: split });
      return builder.verdict();
    }
    await Promise.all(split.map((bytes, i) => writeFile(join(dir, unitObject(i, "after")), bytes)));
    const shape = bundle !== undefined ? `AFTER is an archive of ${units.length} ELF relocatable object(s), one per unit` : "AFTER is an ELF relocatable object";
    if (options.length === 0) {
      builder.add({ name: "well-formed", ok: true, evidence: `${shape}; no plan options given, so no -fchecking rebuild was run` });
    } else {
      const failed = await compile([...options, "-fchecking"], "checked");
      const what = bundle !== undefined ? `all ${units.length} units` : "the source";
      builder.add(failed === undefined
        ? { name: "well-formed", ok: true, evidence: `${shape}; \`gcc ${options.join(" ")} -fchecking -c\` builds ${what} cleanly` }
        : { name: "well-formed", ok: false, evidence: `\`gcc ${options.join(" ")} -fchecking -c\` fails: ${failed}` });
    }
    if (builder.stopped()) return builder.verdict();

    // Layer 2.
    const unitNames = units.map((u) => (bundle !== undefined ? u.path : undefined));
    const symbols = await mapConcurrent(units, async (_, i) => ({
      name: unitNames[i],
      reference: await readObjectSymbols(nm, dir, unitObject(i, "reference"), TOOL_MS),
      after: await readObjectSymbols(nm, dir, unitObject(i, "after"), TOOL_MS),
    }));
    builder.add(gccInterfaceLayer(symbols, invariants));
    if (builder.stopped()) return builder.verdict();

    // Layer 3.
    const runs = await runsOf(request);
    const limits = request.limits ?? {};
    const key = `gcc\0reference\0${digest}\0${runLibraries.join(" ")}\0${runsKey(runs)}\0${JSON.stringify(limits)}`;
    const reference = await cached(request.cache, key, async (): Promise<GccReference> => {
      // clang's coverage build needs nothing gcc builds: it runs meanwhile.
      const program = background(buildCoverageProgram({ units, unitNames, root, dir, libraries: runLibraries, timeoutMs: TOOL_MS }));
      try {
        const failed = await link([...objects("reference"), "-o", "reference", ...runLibraries]);
        if (failed !== undefined) return { runs: [], ubsan: "", undecided: `the reference does not link: ${failed}` };
        const ubsanFlags = ["-fsanitize=undefined", "-fno-sanitize-recover=all"];
        const ubsan = (await compile(["-O0", "-w", ...ubsanFlags], "ubsan")) ?? (await link([...ubsanFlags, ...objects("ubsan"), "-o", "reference-ubsan", ...runLibraries]));
        const { runs: ran, ubsan: note, undecided } = await runReference(join(dir, "reference"), ubsan === undefined ? join(dir, "reference-ubsan") : undefined,
          ubsan === undefined ? "" : `UBSan build failed (${ubsan.slice(0, 200)})`, runs, limits);
        if (undecided !== undefined) return { runs: ran, ubsan: note, undecided };
        return { runs: ran, ubsan: note, coverage: await measureCoverage(await program, runs, limits, dir) };
      } finally {
        // Nothing may still write into `dir` when withWorkDir removes it.
        await Promise.allSettled([program]);
      }
    });
    const linked = reference.undecided === undefined ? await link([...objects("after"), "-o", "transformed", ...runLibraries]) : undefined;
    if (linked !== undefined) builder.add({ name: "semantics", ok: false, evidence: `AFTER does not link into a program: ${linked}` });
    else {
      const layer = await differentialLayer(reference, join(dir, "transformed"), runs, limits);
      const changed = changedGccFunctions(symbols.map((s) => ({ unit: s.name, functions: s.after.functions })));
      builder.add(layer.ok ? earnedSemantics(layer, reference.coverage, changed, request.requiredCoverage) : layer);
    }
    if (builder.stopped()) return builder.verdict();

    // Layer 4.
    const objective: Objective = request.objective ?? "text-size";
    const recomputed: Partial<Record<Objective, number>> = { "text-size": split.reduce((sum, o) => sum + textBytes(o), 0) };
    if ((await link([...options, ...objects("after"), "-o", "measured", ...libraries])) === undefined) recomputed["code-size"] = textBytes(await readFile(join(dir, "measured")));
    builder.add(metricLayer(after, recomputed, objective, request.claimedMetric, request.claimedOutputDigest));
    return builder.verdict();
  });
}

/** The reference's outcome, with what its runs exercised (`measureCoverage`). */
interface GccReference extends ReferenceOutcome {
  coverage?: GccCoverage;
}

/**
 * Layer 3 once the runs agree (`layer`): passes only when they exercised what the plan
 * changed (`judgeCoverage`). Whether a changed function is new is decided against the
 * source as clang compiled it: a clone whose origin GCC folded away (`f.part.0` with `f`
 * inlined everywhere) is still `f`'s code, so the runs must have entered `f` in the
 * reference; only code the source does not define (GCC's own, such as `-fprofile-arcs`'
 * constructors, or a static nothing refers to) is new, reached through its callers.
 */
function earnedSemantics(layer: LayerResult, coverage: GccCoverage | undefined, changed: readonly ChangedFunction[], required: number | undefined): LayerResult {
  const known = coverage ?? { unknown: "not measured" };
  if ("unknown" in known) {
    return { name: "semantics", ok: false, decided: false, evidence: `undecided: the runs agree, but which functions they entered is unknown (${known.unknown}); ${layer.evidence}` };
  }
  const named = changed.map((f) => ({ ...f, added: !known.defined.has(f.name) }));
  return judgeCoverage({
    runsEvidence: `${layer.evidence}; ${known.how}; changed functions: every function AFTER defines, sized in bytes`,
    changed: named, executed: known.executed, reachable: known.reachable, ...(required !== undefined ? { required } : {}),
  });
}

/** `promise`, marked handled now so that a rejection before anyone awaits it is not an unhandled rejection. */
function background<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** gcc's failure as text (`undefined` for success). */
function failure(r: ToolResult): string | undefined {
  return r.exitCode === 0 ? undefined : clipLog(r.stderr, 1200).trim() || `exit ${r.exitCode ?? r.signal}`;
}


/**
 * AFTER as one ELF relocatable object per unit, or why it is not: a single object for
 * a C source, an `ar` archive of members `unit_0.o` … `unit_<n-1>.o` for a bundle.
 */
function splitAfter(after: Buffer, count: number, isBundle: boolean): Buffer[] | string {
  let members: Array<{ name: string; bytes: Buffer }>;
  if (!isBundle) members = [{ name: "AFTER", bytes: after }];
  else {
    if (!isArArchive(after)) return "AFTER is not an ar archive (the objects of a C bundle's units)";
    try {
      members = readArArchive(after);
    } catch (err) {
      if (isOpmError(err, "invalid_argument")) return `AFTER is ${err.message.replace(/^field `after`: /, "")}`;
      throw err;
    }
    const names = members.map((m) => m.name);
    const expected = Array.from({ length: count }, (_, i) => unitObject(i));
    if (names.join("/") !== expected.join("/")) {
      return `AFTER's members are [${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""}]; a bundle of ${count} unit(s) needs exactly [${expected.slice(0, 8).join(", ")}${count > 8 ? ", …" : ""}]`;
    }
  }
  for (const m of members) {
    const isRelocatable = m.bytes.length > 18 && m.bytes.readUInt32BE(0) === 0x7f454c46 && m.bytes.readUInt16LE(16) === 1;
    const where = isBundle ? `member ${m.name} of AFTER` : "AFTER";
    if (!isRelocatable) return `${where} is not an ELF relocatable object file`;
    try {
      readSections(m.bytes);
    } catch (err) {
      if (isOpmError(err, "invalid_argument")) return `${where}: ${err.message}`;
      throw err;
    }
  }
  return members.map((m) => m.bytes);
}

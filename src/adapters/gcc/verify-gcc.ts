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
import { isKnownExternal } from "../verifier/known-externals.js";
import { metricLayer } from "../verifier/metric-layer.js";
import { readArtifact } from "../verifier/read-artifact.js";
import type { LayerResult, Verdict, VerifyRequest } from "../verifier/verdict.js";
import { VerdictBuilder } from "../verifier/verdict-builder.js";
import { isArArchive, readArArchive } from "./ar-archive.js";
import { mapConcurrent } from "../framework/map-concurrent.js";
import { compileUnits, unitObject } from "./gcc-bundle.js";

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
 *    also gets `-lm`);
 * 4. metric — `text-size` (`.text*` of AFTER's objects, summed), `code-size` (AFTER's
 *    objects linked with the plan's options and the libraries), SHA-256 of AFTER.
 * Reference objects and the reference's runs are kept in `request.cache` per BEFORE.
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
    builder.add(await interfaceLayer(nm, dir, units.map((u) => (bundle !== undefined ? u.path : undefined)), invariants));
    if (builder.stopped()) return builder.verdict();

    // Layer 3.
    const runs = await runsOf(request);
    const limits = request.limits ?? {};
    const key = `gcc\0reference\0${digest}\0${runLibraries.join(" ")}\0${runsKey(runs)}\0${JSON.stringify(limits)}`;
    const reference = await cached(request.cache, key, async (): Promise<ReferenceOutcome> => {
      const failed = await link([...objects("reference"), "-o", "reference", ...runLibraries]);
      if (failed !== undefined) return { runs: [], ubsan: "", undecided: `the reference does not link: ${failed}` };
      const ubsanFlags = ["-fsanitize=undefined", "-fno-sanitize-recover=all"];
      const ubsan = (await compile(["-O0", "-w", ...ubsanFlags], "ubsan")) ?? (await link([...ubsanFlags, ...objects("ubsan"), "-o", "reference-ubsan", ...runLibraries]));
      return runReference(join(dir, "reference"), ubsan === undefined ? join(dir, "reference-ubsan") : undefined,
        ubsan === undefined ? "" : `UBSan build failed (${ubsan.slice(0, 200)})`, runs, limits);
    });
    const linked = reference.undecided === undefined ? await link([...objects("after"), "-o", "transformed", ...runLibraries]) : undefined;
    if (linked !== undefined) builder.add({ name: "semantics", ok: false, evidence: `AFTER does not link into a program: ${linked}` });
    else builder.add(await differentialLayer(reference, join(dir, "transformed"), runs, limits));
    if (builder.stopped()) return builder.verdict();

    // Layer 4.
    const objective: Objective = request.objective ?? "text-size";
    const recomputed: Partial<Record<Objective, number>> = { "text-size": split.reduce((sum, o) => sum + textBytes(o), 0) };
    if ((await link([...options, ...objects("after"), "-o", "measured", ...libraries])) === undefined) recomputed["code-size"] = textBytes(await readFile(join(dir, "measured")));
    builder.add(metricLayer(after, recomputed, objective, request.claimedMetric, request.claimedOutputDigest));
    return builder.verdict();
  });
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

/** `nm -P` of an object: defined global symbols (name → `code`/`data`) and undefined ones. */
async function symbols(nm: string, dir: string, file: string): Promise<{ defined: Map<string, string>; undefined: Set<string> }> {
  const r = await runTool(nm, ["-P", file], { cwd: dir, timeoutMs: TOOL_MS });
  if (r.exitCode !== 0) throw new OpmError("invalid_argument", `field \`after\`: nm cannot read ${file}: ${clipLog(r.stderr, 400)}`, { field: "after" });
  const defined = new Map<string, string>();
  const undef = new Set<string>();
  for (const line of r.stdout.toString("utf8").split("\n")) {
    const [name, type] = line.trim().split(/\s+/);
    if (name === undefined || type === undefined) continue;
    if (type === "U" || type === "w" || type === "v") undef.add(name);
    else if (/^[TW]$/.test(type)) defined.set(name, "code");
    else if (/^[DBRCVGS]$/.test(type)) defined.set(name, "data");
  }
  return { defined, undefined: undef };
}

/** Layer 2 over every unit: `names[i]` prefixes the findings of unit `i` (undefined for a single source). */
async function interfaceLayer(nm: string, dir: string, names: ReadonlyArray<string | undefined>, invariants: ReadonlySet<string>): Promise<LayerResult> {
  const problems: string[] = [];
  let exported = 0;
  const perUnit = await mapConcurrent(names, async (_, i) => [await symbols(nm, dir, unitObject(i, "reference")), await symbols(nm, dir, unitObject(i, "after"))] as const);
  for (const [i, [ref, aft]] of perUnit.entries()) {
    const at = names[i] !== undefined ? `${names[i]}: ` : "";
    exported += ref.defined.size;
    for (const [name, kind] of ref.defined) {
      const k = aft.defined.get(name);
      if (k === undefined) problems.push(`${at}exported symbol ${name} (${kind}) is gone`);
      else if (k !== kind) problems.push(`${at}exported symbol ${name} was ${kind}, is now ${k}`);
    }
    for (const name of aft.defined.keys()) if (!ref.defined.has(name)) problems.push(`${at}${name} is newly exported`);
    for (const name of aft.undefined) {
      if (!ref.undefined.has(name) && !isKnownExternal(name)) problems.push(`${at}new reference to undefined external symbol ${name}`);
    }
  }
  if (problems.length > 0) {
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : "";
    return { name: "interface", ok: false, evidence: `${problems.slice(0, 5).join("; ")}${more}` };
  }
  if (invariants.has("cfg")) return { name: "interface", ok: false, decided: false, evidence: "undecided: a claimed `cfg` invariant cannot be checked on a GCC object file" };
  const where = names.length > 1 ? ` over ${names.length} units` : "";
  return { name: "interface", ok: true, evidence: `same ${exported} global symbol(s) and kinds as the -O0 reference${where}, no new undefined externals (not covered for GCC: signatures, initial values)` };
}

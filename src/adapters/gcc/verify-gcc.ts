import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { textBytes } from "../framework/elf.js";
import { clipLog, findExecutable, runTool } from "../framework/run-tool.js";
import type { Objective } from "../../kernel/plan/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { differentialLayer, runReference } from "../verifier/differential-execution.js";
import { isKnownExternal } from "../verifier/known-externals.js";
import { metricLayer } from "../verifier/metric-layer.js";
import { readArtifact } from "../verifier/read-artifact.js";
import type { LayerResult, Verdict, VerifyRequest } from "../verifier/verdict.js";
import { VerdictBuilder } from "../verifier/verdict-builder.js";

const TOOL_MS = 120_000;

/**
 * The GCC verifier (BEFORE is the C source, AFTER the object file the plan produced,
 * `planOptions` the plan's options):
 * 1. well-formed — AFTER is an ELF relocatable object, and (with `planOptions`) the
 *    source compiles cleanly with those options plus `-fchecking` (GCC's internal
 *    consistency checks: no internal compiler error, exit 0);
 * 2. interface — `nm` of AFTER against a `gcc -O0` reference object: the same defined
 *    global symbols of the same kind (code/data), no new undefined symbol beyond the C
 *    library. Not covered: signatures and initial values (an object file has no types).
 * 3. semantics — reference `gcc -O0` and its UBSan build against AFTER linked by gcc;
 * 4. metric — `text-size` (`.text*` of AFTER), `code-size` (AFTER linked), SHA-256.
 */
export async function verifyGcc(request: VerifyRequest, invariants: ReadonlySet<string>): Promise<Verdict> {
  const source = await readArtifact(request.before, "before");
  const after = await readArtifact(request.after, "after");
  const gcc = findExecutable("gcc");
  const nm = findExecutable("nm");
  if (gcc === undefined || nm === undefined) throw new OpmError("tool_missing", "`gcc` and `nm` are needed; install the Debian packages `gcc` and `binutils`");
  const options = [...(request.planOptions ?? [])];
  const builder = new VerdictBuilder(request.runAllLayers ?? false);
  const dir = await mkdtemp(join(tmpdir(), "opm-verify-gcc-"));
  const run = async (args: string[]): Promise<string | undefined> => {
    const r = await runTool(gcc, args, { cwd: dir, timeoutMs: TOOL_MS, deterministic: true });
    return r.exitCode === 0 ? undefined : clipLog(r.stderr, 1200).trim() || `exit ${r.exitCode ?? r.signal}`;
  };
  try {
    await writeFile(join(dir, "before.c"), source);
    await writeFile(join(dir, "after.o"), after);
    const refFailed = await run(["-O0", "-w", "-c", "before.c", "-o", "reference.o"]);
    if (refFailed !== undefined) throw new OpmError("invalid_argument", `field \`before\`: the C source does not compile with \`gcc -O0\`: ${refFailed}`, { field: "before" });

    // Layer 1.
    const isRelocatable = after.length > 18 && after.readUInt32BE(0) === 0x7f454c46 && after.readUInt16LE(16) === 1;
    if (!isRelocatable) builder.add({ name: "well-formed", ok: false, evidence: "AFTER is not an ELF relocatable object file" });
    else if (options.length === 0) {
      builder.add({ name: "well-formed", ok: true, evidence: "AFTER is an ELF relocatable object; no plan options given, so no -fchecking rebuild was run" });
    } else {
      const failed = await run([...options, "-fchecking", "-c", "before.c", "-o", "checked.o"]);
      builder.add(failed === undefined
        ? { name: "well-formed", ok: true, evidence: `AFTER is an ELF relocatable object; \`gcc ${options.join(" ")} -fchecking -c\` builds the source cleanly` }
        : { name: "well-formed", ok: false, evidence: `\`gcc ${options.join(" ")} -fchecking -c\` fails: ${failed}` });
    }
    if (builder.stopped() || !isRelocatable) return builder.verdict();

    // Layer 2.
    builder.add(await interfaceLayer(nm, dir, invariants));
    if (builder.stopped()) return builder.verdict();

    // Layer 3.
    const inputs = request.inputs && request.inputs.length > 0 ? [...request.inputs] : [undefined];
    const limits = request.limits ?? {};
    const refExe = await run(["-O0", "-w", "before.c", "-o", "reference", "-lm"]);
    const ubsan = await run(["-O0", "-w", "-fsanitize=undefined", "-fno-sanitize-recover=all", "before.c", "-o", "reference-ubsan", "-lm"]);
    const linked = await run(["after.o", "-o", "transformed", "-lm"]);
    if (refExe !== undefined) builder.add({ name: "semantics", ok: false, decided: false, evidence: `undecided: the reference does not link: ${refExe}` });
    else if (linked !== undefined) builder.add({ name: "semantics", ok: false, evidence: `AFTER does not link into a program: ${linked}` });
    else {
      const reference = await runReference(join(dir, "reference"), ubsan === undefined ? join(dir, "reference-ubsan") : undefined,
        ubsan === undefined ? "" : `UBSan build failed (${ubsan.slice(0, 200)})`, inputs, limits);
      builder.add(await differentialLayer(reference, join(dir, "transformed"), inputs, limits));
    }
    if (builder.stopped()) return builder.verdict();

    // Layer 4.
    const objective: Objective = request.objective ?? "text-size";
    const recomputed: Partial<Record<Objective, number>> = { "text-size": textBytes(after) };
    if ((await run([...options, "after.o", "-o", "measured"])) === undefined) recomputed["code-size"] = textBytes(await readFile(join(dir, "measured")));
    builder.add(metricLayer(after, recomputed, objective, request.claimedMetric, request.claimedOutputDigest));
    return builder.verdict();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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

async function interfaceLayer(nm: string, dir: string, invariants: ReadonlySet<string>): Promise<LayerResult> {
  const [ref, aft] = [await symbols(nm, dir, "reference.o"), await symbols(nm, dir, "after.o")];
  const problems: string[] = [];
  for (const [name, kind] of ref.defined) {
    const k = aft.defined.get(name);
    if (k === undefined) problems.push(`exported symbol ${name} (${kind}) is gone`);
    else if (k !== kind) problems.push(`exported symbol ${name} was ${kind}, is now ${k}`);
  }
  for (const name of aft.defined.keys()) if (!ref.defined.has(name)) problems.push(`${name} is newly exported`);
  for (const name of aft.undefined) {
    if (!ref.undefined.has(name) && !isKnownExternal(name)) problems.push(`new reference to undefined external symbol ${name}`);
  }
  if (problems.length > 0) return { name: "interface", ok: false, evidence: problems.slice(0, 5).join("; ") };
  if (invariants.has("cfg")) return { name: "interface", ok: false, decided: false, evidence: "undecided: a claimed `cfg` invariant cannot be checked on a GCC object file" };
  return { name: "interface", ok: true, evidence: `same ${ref.defined.size} global symbol(s) and kinds as the -O0 reference, no new undefined externals (not covered for GCC: signatures, initial values)` };
}

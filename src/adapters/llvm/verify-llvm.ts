import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { textBytes } from "../framework/elf.js";
import { clipLog, runTool } from "../framework/run-tool.js";
import type { Objective } from "../../kernel/plan/index.js";
import { findLlvmTools } from "./find-llvm-tools.js";
import { countInstructions } from "./inst-count-features.js";
import { readLlvmIr } from "./read-llvm-ir.js";
import { contentId } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { compareCfgShapes } from "./compare-cfg-shapes.js";
import { compareModuleInterfaces } from "./compare-module-interfaces.js";
import { differentialLayer, runReference, type ReferenceOutcome } from "../verifier/differential-execution.js";
import { metricLayer } from "../verifier/metric-layer.js";
import { readArtifact } from "../verifier/read-artifact.js";
import { readModuleInterface } from "./read-module-interface.js";
import type { LayerResult, Verdict, VerifyRequest } from "../verifier/verdict.js";
import { VerdictBuilder } from "../verifier/verdict-builder.js";

const TOOL_MS = 120_000;

/**
 * The LLVM verifier (BEFORE and AFTER are textual IR):
 * 1. well-formed — `opt -passes=verify` accepts AFTER (BEFORE must pass too, else bad input);
 * 2. interface — `compareModuleInterfaces`, plus `compareCfgShapes` when `cfg` is claimed;
 * 3. semantics — both modules linked by `clang -O0`, run on the inputs (`runProgram`),
 *    the reference also built from `source` with UBSan when a source is given;
 * 4. metric — `ir-instcount` (`countInstructions`) and, for `text-size`, `.text*` of
 *    `llc -filetype=obj` on AFTER, against the claim; SHA-256 of AFTER against the digest.
 */
export async function verifyLlvm(request: VerifyRequest, invariants: ReadonlySet<string>): Promise<Verdict> {
  const before = await readArtifact(request.before, "before");
  const after = await readArtifact(request.after, "after");
  const tools = findLlvmTools();
  const dir = await mkdtemp(join(tmpdir(), "opm-verify-"));
  const builder = new VerdictBuilder(request.runAllLayers ?? false);
  try {
    await writeFile(join(dir, "before.ll"), before);
    await writeFile(join(dir, "after.ll"), after);
    const verify = async (file: string): Promise<string | undefined> => {
      const r = await runTool(tools.opt, ["-passes=verify", "-disable-output", file], { cwd: dir, timeoutMs: TOOL_MS });
      return r.exitCode === 0 ? undefined : clipLog(r.stderr, 1500).trim() || `exit ${r.exitCode ?? r.signal}`;
    };
    const beforeProblem = await verify("before.ll");
    if (beforeProblem !== undefined) throw new OpmError("invalid_argument", `field \`before\`: not valid LLVM IR: ${beforeProblem}`, { field: "before" });
    const afterProblem = await verify("after.ll");
    builder.add(afterProblem === undefined
      ? { name: "well-formed", ok: true, evidence: `\`${tools.opt} -passes=verify\` accepts AFTER` }
      : { name: "well-formed", ok: false, evidence: `\`opt -passes=verify\` rejects AFTER: ${afterProblem}` });
    if (builder.stopped() || afterProblem !== undefined) return builder.verdict();

    const [beforeText, afterText] = [before.toString("utf8"), after.toString("utf8")];
    builder.add(interfaceLayer(beforeText, afterText, invariants));
    if (builder.stopped()) return builder.verdict();

    builder.add(await semanticsLayer(request, before, dir, tools.clang));
    if (builder.stopped()) return builder.verdict();

    const objective: Objective = request.objective ?? "ir-instcount";
    const recomputed: Partial<Record<Objective, number>> = { "ir-instcount": countInstructions(readLlvmIr(afterText)) };
    if (objective === "text-size") {
      const r = await runTool(tools.llc, ["-filetype=obj", "after.ll", "-o", "after.o"], { cwd: dir, timeoutMs: TOOL_MS, deterministic: true });
      if (r.exitCode !== 0) builder.add({ name: "metric", ok: false, evidence: `llc cannot compile AFTER to measure text-size: ${clipLog(r.stderr, 800)}` });
      else recomputed["text-size"] = textBytes(await readFile(join(dir, "after.o")));
    }
    if (!builder.layers.some((l) => l.name === "metric")) {
      builder.add(metricLayer(after, recomputed, objective, request.claimedMetric, request.claimedOutputDigest));
    }
    return builder.verdict();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function interfaceLayer(beforeText: string, afterText: string, invariants: ReadonlySet<string>): LayerResult {
  const [b, a] = [readModuleInterface(beforeText), readModuleInterface(afterText)];
  const problems = compareModuleInterfaces(b, a);
  const checked = ["exported symbols, signatures, global initial values, undefined externals"];
  if (invariants.has("cfg")) {
    problems.push(...compareCfgShapes(readLlvmIr(beforeText), readLlvmIr(afterText)).map((p) => `claimed CFG preservation broken: ${p}`));
    checked.push("claimed invariant cfg (blocks and successors per function)");
  }
  if (problems.length > 0) {
    const more = problems.length > 5 ? `; and ${problems.length - 5} more` : "";
    return { name: "interface", ok: false, evidence: `${problems.slice(0, 5).join("; ")}${more}` };
  }
  const exported = [...b.symbols.values()].filter((s) => s.defined && !["private", "internal"].includes(s.linkage)).length;
  return { name: "interface", ok: true, evidence: `unchanged: ${checked.join("; ")} (${exported} exported symbol(s), ${a.symbols.size} symbol(s) in AFTER)` };
}

async function semanticsLayer(request: VerifyRequest, before: Buffer, dir: string, clang: string): Promise<LayerResult> {
  const inputs = request.inputs && request.inputs.length > 0 ? [...request.inputs] : [undefined];
  const limits = request.limits ?? {};
  const build = async (args: string[], out: string): Promise<string | undefined> => {
    const r = await runTool(clang, ["-O0", "-w", ...args, "-o", out], { cwd: dir, timeoutMs: TOOL_MS, missingPackage: "clang" });
    return r.exitCode === 0 ? undefined : clipLog(r.stderr, 1200).trim();
  };
  const key = `llvm\0${contentId(before)}\0${request.source ?? ""}\0${inputs.join("\0")}\0${JSON.stringify(limits)}`;
  const cached = request.cache?.get(key) as Promise<ReferenceOutcome> | undefined;
  const reference = cached ?? (async (): Promise<ReferenceOutcome> => {
    const failed = await build(["before.ll"], "reference");
    if (failed !== undefined) return { runs: [], ubsan: "", undecided: `the reference (BEFORE) does not build with \`clang -O0\`: ${failed}` };
    let ubsanExe: string | undefined;
    let note = "UBSan not run: no C source given (UBSan instruments in clang's front end, so IR alone cannot be checked)";
    if (request.source !== undefined) {
      const bad = await build(["-fsanitize=undefined", "-fno-sanitize-recover=all", request.source], "reference-ubsan");
      if (bad !== undefined) return { runs: [], ubsan: "", undecided: `the C source does not build with UBSan: ${bad}` };
      ubsanExe = join(dir, "reference-ubsan");
      note = "";
    }
    return runReference(join(dir, "reference"), ubsanExe, note, inputs, limits);
  })();
  request.cache?.set(key, reference);
  const outcome = await reference;
  if (outcome.undecided !== undefined) return { name: "semantics", ok: false, decided: false, evidence: `undecided: ${outcome.undecided}` };
  const failed = await build(["after.ll"], "transformed");
  if (failed !== undefined) return { name: "semantics", ok: false, evidence: `AFTER does not build into a program with \`clang -O0\`: ${failed}` };
  return differentialLayer(outcome, join(dir, "transformed"), inputs, limits);
}

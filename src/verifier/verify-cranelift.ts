import { CraneliftToolchain } from "../../adapters/cranelift/cranelift-toolchain.js";
import type { DriverLowered, InterpretOutcome } from "../../adapters/cranelift/driver-protocol.js";
import type { Objective, ProblemInput } from "../../adapters/framework/toolchain.js";
import { isOpmError, OpmError } from "../errors/index.js";
import { metricLayer } from "./metric-layer.js";
import { readArtifact } from "./read-artifact.js";
import type { LayerResult, Verdict, VerifyRequest } from "./verdict.js";
import { VerdictBuilder } from "./verdict-builder.js";

/** Argument values tried for every integer parameter (one vector per value). */
const PROBE_VALUES = ["0", "1", "5", "100", "0x7f"];
const INT_TYPE = /^i(8|16|32|64|128)$/;

/**
 * The Cranelift verifier (BEFORE and AFTER are CLIF text), through the driver:
 * 1. well-formed — Cranelift's verifier (`lower` runs `verify_function`) accepts
 *    every function of AFTER;
 * 2. interface — the same functions with the same signatures; a claimed `cfg` is
 *    checked as equal block counts per function only;
 * 3. semantics — each function whose parameters are all integers runs in
 *    Cranelift's interpreter before and after on probe arguments (`PROBE_VALUES`);
 *    results or traps must agree. Not covered: functions with float/vector/vmctx
 *    parameters, memory effects; when nothing could be compared the layer is undecided.
 * 4. metric — `ir-instcount` = instructions of the AFTER CLIF; SHA-256 of AFTER.
 *    `code-size` is not recomputable from CLIF alone (settings decide it): undecided.
 */
export async function verifyCranelift(request: VerifyRequest, invariants: ReadonlySet<string>): Promise<Verdict> {
  const before: ProblemInput = { format: "clif", bytes: await readArtifact(request.before, "before") };
  const after: ProblemInput = { format: "clif", bytes: await readArtifact(request.after, "after") };
  const toolchain = new CraneliftToolchain();
  const builder = new VerdictBuilder(request.runAllLayers ?? false);
  try {
    const lower = (input: ProblemInput): Promise<DriverLowered> =>
      toolchain.driver.request("lower", { input: { format: "clif", base64: Buffer.from(input.bytes).toString("base64") } });
    let b: DriverLowered;
    try {
      b = await lower(before);
    } catch (err) {
      if (isOpmError(err, "tool_missing")) throw err;
      throw new OpmError("invalid_argument", `field \`before\`: not valid CLIF: ${(err as Error).message}`, { field: "before" });
    }
    let a: DriverLowered;
    try {
      a = await lower(after);
    } catch (err) {
      if (isOpmError(err, "tool_missing")) throw err;
      builder.add({ name: "well-formed", ok: false, evidence: `the Cranelift reader rejects AFTER: ${(err as Error).message}` });
      return builder.verdict();
    }
    const bad = a.functions.find((f) => !f.verifier.ok);
    builder.add(bad === undefined
      ? { name: "well-formed", ok: true, evidence: `Cranelift's verifier accepts all ${a.functions.length} function(s) of AFTER` }
      : { name: "well-formed", ok: false, evidence: `Cranelift's verifier rejects function ${bad.clif_name}: ${[bad.verifier.errors ?? []].flat().join("; ")}` });
    if (builder.stopped() || bad !== undefined) return builder.verdict();

    builder.add(interfaceLayer(b, a, invariants));
    if (builder.stopped()) return builder.verdict();

    builder.add(await semanticsLayer(toolchain, before, after, a));
    if (builder.stopped()) return builder.verdict();

    const objective: Objective = request.objective ?? "ir-instcount";
    const recomputed = { "ir-instcount": a.functions.reduce((n, f) => n + f.inst_count, 0) };
    builder.add(metricLayer(after.bytes, recomputed, objective, request.claimedMetric, request.claimedOutputDigest));
    return builder.verdict();
  } finally {
    await toolchain.close();
  }
}

/** `function %name(i32, i64) -> i32 system_v` → name and the signature text. */
function signatures(lowered: DriverLowered): Map<string, { signature: string; blocks: number }> {
  const map = new Map<string, { signature: string; blocks: number }>();
  for (const f of lowered.functions) {
    const header = /^function\s+(\S+?)(\(.*\).*?)\s*\{/m.exec(f.clif);
    map.set(f.clif_name, { signature: header?.[2]?.trim() ?? "?", blocks: f.block_count });
  }
  return map;
}

function interfaceLayer(before: DriverLowered, after: DriverLowered, invariants: ReadonlySet<string>): LayerResult {
  const [b, a] = [signatures(before), signatures(after)];
  const problems: string[] = [];
  for (const [name, s] of b) {
    const t = a.get(name);
    if (t === undefined) problems.push(`function ${name} is gone`);
    else if (t.signature !== s.signature) problems.push(`function ${name}: signature \`${s.signature}\` became \`${t.signature}\``);
    else if (invariants.has("cfg") && t.blocks !== s.blocks) problems.push(`claimed CFG preservation broken: function ${name} has ${s.blocks} blocks before, ${t.blocks} after`);
  }
  for (const name of a.keys()) if (!b.has(name)) problems.push(`function ${name} is new`);
  if (problems.length > 0) return { name: "interface", ok: false, evidence: problems.slice(0, 5).join("; ") };
  return { name: "interface", ok: true, evidence: `same ${b.size} function(s) and signatures${invariants.has("cfg") ? ", same block counts (claimed cfg)" : ""}` };
}

async function semanticsLayer(toolchain: CraneliftToolchain, before: ProblemInput, after: ProblemInput, lowered: DriverLowered): Promise<LayerResult> {
  const skipped: string[] = [];
  let compared = 0;
  for (const f of lowered.functions) {
    const params = /\(([^)]*)\)/.exec(f.clif)?.[1]?.split(",").map((p) => p.trim()).filter((p) => p !== "") ?? [];
    if (!params.every((p) => INT_TYPE.test(p))) {
      skipped.push(`${f.clif_name} (parameters ${params.join(", ")})`);
      continue;
    }
    for (const value of PROBE_VALUES) {
      const args = params.map(() => value);
      const run = async (input: ProblemInput): Promise<InterpretOutcome> =>
        (await toolchain.interpretCompare(input, f.clif_name, args, { steps: [] }, { includeCodegenPipeline: false, fuel: 1_000_000 })).before;
      const ref = await run(before);
      if (ref.status === "error" || ref.status === "fuel_exhausted") {
        skipped.push(`${f.clif_name}(${args.join(", ")}): reference ${ref.status}`);
        continue;
      }
      const got = await run(after);
      if (JSON.stringify(ref) !== JSON.stringify(got)) {
        return { name: "semantics", ok: false, evidence: `${f.clif_name}(${args.join(", ")}) in Cranelift's interpreter: before ${JSON.stringify(ref)}, after ${JSON.stringify(got)}` };
      }
      compared++;
    }
  }
  const notCovered = skipped.length > 0 ? `; not covered: ${skipped.slice(0, 5).join("; ")}${skipped.length > 5 ? ` and ${skipped.length - 5} more` : ""}` : "";
  if (compared === 0) return { name: "semantics", ok: false, decided: false, evidence: `undecided: no function could be run in the interpreter${notCovered}` };
  return { name: "semantics", ok: true, evidence: `${compared} interpreter run(s) agree (integer probes ${PROBE_VALUES.join(", ")})${notCovered}` };
}

import { CraneliftToolchain } from "./cranelift-toolchain.js";
import type { DriverLowered } from "./driver-protocol.js";
import { craneliftSemanticsLayer } from "./differential-layer.js";
import type { ProblemInput } from "../framework/toolchain.js";
import type { Objective, Plan } from "../../kernel/plan/index.js";
import { isOpmError, OpmError } from "../../kernel/errors/index.js";
import { metricLayer } from "../verifier/metric-layer.js";
import { readArtifact } from "../verifier/read-artifact.js";
import type { LayerResult, Verdict, VerifyRequest } from "../verifier/verdict.js";
import { VerdictBuilder } from "../verifier/verdict-builder.js";

/** The first bytes of every wasm binary (`\0asm`). */
const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

/**
 * The Cranelift verifier, through the driver. BEFORE is CLIF text or the wasm module
 * the problem started from (whose data segments, globals and imports then shape the
 * sandbox of layer 3); AFTER is CLIF text (or wasm):
 * 1. well-formed — Cranelift's verifier (`lower` runs `verify_function`) accepts
 *    every function of AFTER;
 * 2. interface — the same functions with the same signatures; a claimed `cfg` is
 *    checked as equal block counts per function only;
 * 3. semantics — `craneliftSemanticsLayer`: every function runs in Cranelift's
 *    interpreter before and after, in the driver's sandbox (linear memory, globals,
 *    the module's other functions, libc stubs), on seeded probe arguments; results,
 *    traps, final memory, globals and output must agree. Decided when at least one
 *    function was compared;
 * 4. metric — `ir-instcount` = instructions of the AFTER CLIF; SHA-256 of AFTER.
 *    `code-size` is not recomputable from CLIF alone (settings decide it): undecided.
 */
export async function verifyCranelift(request: VerifyRequest, invariants: ReadonlySet<string>): Promise<Verdict> {
  const before = inputOf(await readArtifact(request.before, "before"));
  const after = inputOf(await readArtifact(request.after, "after"));
  const toolchain = new CraneliftToolchain();
  const builder = new VerdictBuilder(request.runAllLayers ?? false);
  try {
    const lower = (input: ProblemInput): Promise<DriverLowered> =>
      toolchain.driver.request("lower", { input: { format: input.format, base64: Buffer.from(input.bytes).toString("base64") } });
    let b: DriverLowered;
    try {
      b = await lower(before);
    } catch (err) {
      if (isOpmError(err, "tool_missing")) throw err;
      throw new OpmError("invalid_argument", `field \`before\`: not valid ${before.format === "wasm" ? "wasm" : "CLIF"}: ${(err as Error).message}`, { field: "before" });
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

    builder.add(await craneliftSemanticsLayer(toolchain, before, { input: after }));
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

function inputOf(bytes: Uint8Array): ProblemInput {
  const wasm = bytes.length >= 4 && Buffer.from(bytes.subarray(0, 4)).equals(WASM_MAGIC);
  return { format: wasm ? "wasm" : "clif", bytes };
}

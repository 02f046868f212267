import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseCompiler, parseObjective } from "../../kernel/plan/proto-mapping.js";
import { isOpmError, OpmError } from "../../kernel/errors/index.js";
import { verifyTransform } from "../../adapters/framework/toolchains.js";
import type { Verdict, VerifyRequest } from "../../adapters/verifier/index.js";
import { readRunOptions, RUN_FLAGS, RUN_HELP } from "../run-options.js";
import { parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { createOutput } from "../output.js";

/**
 * `opm verify`: the IR-invariant verifier alone. Prints
 * `{"ok", "layers": [{"name", "ok", "evidence"}…]}` (plus `"decided": false` and
 * `"reason"` when it could not decide) and exits 0 accepted, 1 rejected, 2 undecided
 * (bad input, missing tool, a reference with undefined behaviour).
 */
export const verifyCommand: Command = {
  name: "verify",
  summary: "check a transform: well-formed, interface, semantics (differential execution), metric",
  usage:
    "opm verify --compiler llvm|gcc|cranelift --before A --after B [--inputs F[,F…]]… [--run 'ARGS']… [--input F]… [--runs FILE.json] [--required-coverage SHARE] [--source C] [--gcc-options 'OPTS'] " +
    "[--invariants cfg,…] [--objective O --claimed-metric N] [--claimed-digest SHA256] [--cpu-seconds N] [--json]",
  help: [
    "Runs the verifier alone on one transform BEFORE → AFTER, the checks every adapter runs before it signs a",
    "signal, in four layers: well-formed (the compiler's own checks), interface (the exported symbols unchanged),",
    "semantics (BEFORE and AFTER built and run on each run in a sandbox, outputs compared; for C also against a",
    "UBSan reference, so undefined behaviour is undecided rather than accepted; for LLVM and GCC the runs, or direct",
    "tests of functions, must also exercise every function the transform changed, else undecided naming them) and",
    "metric (the claims).",
    "Prints each layer's evidence. Exit 0 accepted, 1 rejected, 2 undecided (bad input, a missing tool, a",
    "reference with undefined behaviour).",
    "",
    "  --compiler C       whose transform: llvm (textual IR in and out), gcc (BEFORE the C source, AFTER the object",
    "                     the plan produced), cranelift (CLIF text in and out)",
    "  --before A         the input of the transform",
    "  --after B          what the transform produced",
    "  --inputs F[,F…]    program inputs: each run gets F's path as argv[1] and its bytes on stdin (repeatable);",
    "                     none (and no --run): one run without arguments or stdin",
    ...RUN_HELP,
    "  --required-coverage SHARE   (LLVM, GCC) pass when this share of the changed instructions executed (by basic",
    "                     block where traced; default: every changed function entered by a run or tested directly)",
    "  --source C         (LLVM) the C source BEFORE was compiled from: adds the UBSan reference",
    "  --gcc-options 'OPTS'   (GCC) the plan's options, to rebuild with (plus -fchecking)",
    "  --invariants I,…   invariants the PassSpec claims beyond semantics; cfg adds a CFG-shape check",
    "  --objective O --claimed-metric N   the metric the signal claims for objective O (ir-instcount, text-size,",
    "                     code-size): checked against AFTER",
    "  --claimed-digest SHA256   the SHA-256 the signal claims for AFTER",
    "  --cpu-seconds N    CPU limit of each program run (default 10)",
  ].join("\n"),
  async run(argv) {
    const json = argv.includes("--json");
    const out = createOutput(json);
    let verdict: Verdict;
    try {
      verdict = await verifyTransform(parseRequest(argv));
    } catch (err) {
      if (!isOpmError(err) || err.code === "internal") throw err;
      verdict = { ok: false, decided: false, layers: [], reason: `${err.code}: ${err.message}` };
    }
    const undecidedLayer = verdict.layers.find((l) => l.decided === false);
    const reason = verdict.reason ?? (verdict.decided ? undefined : `layer ${undecidedLayer?.name}: ${undecidedLayer?.evidence}`);
    const document = {
      ok: verdict.ok,
      ...(verdict.decided ? {} : { decided: false, reason }),
      layers: verdict.layers.map((l) => ({ name: l.name, ok: l.ok, evidence: l.evidence })),
    };
    out.result(document, () =>
      [
        ...verdict.layers.map((l) => `${l.ok ? "PASS" : l.decided === false ? "UNDECIDED" : "REJECT"} ${l.name}: ${l.evidence}`),
        verdict.ok ? "accepted" : verdict.decided ? `rejected by layer ${verdict.rejectedBy}` : `could not decide: ${reason}`,
      ].join("\n"));
    return verdict.ok ? 0 : verdict.decided ? 1 : 2;
  },
};

function parseRequest(argv: string[]): VerifyRequest {
  const args = parseCommandArgs(argv, {
    compiler: { type: "string" }, before: { type: "string" }, after: { type: "string" }, inputs: { type: "string", multiple: true },
    source: { type: "string" }, "gcc-options": { type: "string" }, invariants: { type: "string" }, objective: { type: "string" },
    "claimed-metric": { type: "string" }, "claimed-digest": { type: "string" }, "cpu-seconds": { type: "string" },
    "required-coverage": { type: "string" }, ...RUN_FLAGS,
  });
  if (args.positionals.length > 0) throw new OpmError("invalid_argument", `unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const file = (flag: string): string => {
    const path = resolve(stringFlag(args, flag, true));
    if (!existsSync(path)) throw new OpmError("invalid_argument", `--${flag}: ${path} does not exist`);
    return path;
  };
  const inputs = ((args.values["inputs"] as string[] | undefined) ?? []).flatMap((v) => v.split(",")).filter((v) => v !== "").map((v) => {
    const path = resolve(v);
    if (!existsSync(path)) throw new OpmError("invalid_argument", `--inputs: ${path} does not exist`);
    return path;
  });
  const number = (flag: string, integer: boolean): number | undefined => {
    const text = stringFlag(args, flag);
    if (text === undefined) return undefined;
    const v = Number(text);
    if (!Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) throw new OpmError("invalid_argument", `--${flag}: ${JSON.stringify(text)} is not a non-negative number`);
    return v;
  };
  const digest = stringFlag(args, "claimed-digest");
  if (digest !== undefined && !/^[0-9a-fA-F]{64}$/.test(digest)) throw new OpmError("invalid_argument", `--claimed-digest: ${JSON.stringify(digest)} is not 64 hex digits`);
  const objective = stringFlag(args, "objective");
  const claimedMetric = number("claimed-metric", false);
  const cpuSeconds = number("cpu-seconds", true);
  const requiredCoverage = number("required-coverage", false);
  if (requiredCoverage !== undefined && requiredCoverage > 1) throw new OpmError("invalid_argument", `--required-coverage: ${requiredCoverage} is not a share in 0..1`);
  const runs = readRunOptions(args);
  const source = stringFlag(args, "source") === undefined ? undefined : file("source");
  const planOptions = stringFlag(args, "gcc-options")?.split(/\s+/).filter((o) => o !== "");
  const invariants = stringFlag(args, "invariants")?.split(",").map((s) => s.trim()).filter((s) => s !== "");
  return {
    compiler: parseCompiler(stringFlag(args, "compiler", true)),
    before: { path: file("before") },
    after: { path: file("after") },
    inputs,
    ...(runs.length > 0 ? { runs } : {}),
    ...(requiredCoverage !== undefined ? { requiredCoverage } : {}),
    ...(source !== undefined ? { source } : {}),
    ...(planOptions !== undefined ? { planOptions } : {}),
    ...(invariants !== undefined ? { claimedInvariants: invariants } : {}),
    ...(objective !== undefined ? { objective: parseObjective(objective) } : {}),
    ...(claimedMetric !== undefined ? { claimedMetric } : {}),
    ...(digest !== undefined ? { claimedOutputDigest: digest.toLowerCase() } : {}),
    ...(cpuSeconds !== undefined ? { limits: { cpuSeconds } } : {}),
  };
}

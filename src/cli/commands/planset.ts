import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { registrySignalSource, recordedSignalSource, type MarketSignal, type SignalSource } from "../../client/orchestrator/index.js";
import { buildPlanSet, DEFAULT_MAX_PLANS, planSetVersion, readPlanSetFile, signPlanSet, writePlanSetFile } from "../../client/planset/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { loadIdentity } from "../../kernel/pki/index.js";
import { compilerName, objectiveFromProto, parseCompiler, parseObjective, planKey } from "../../kernel/plan/index.js";
import { parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { CLIENT_FLAGS, withRegistry } from "../connect.js";
import { createOutput } from "../output.js";

const BUILD_USAGE = "opm planset build (--registry HOST:PORT | --signals FILE) --identity DIR --compiler C --objective O [--compiler-version V] [--max-plans N] [--save-signals FILE] --out FILE [--json]";
const SHOW_USAGE = "opm planset show FILE [--trust KEY_ID]… [--json]";

/** `opm planset build|show`: the market's plan set (a signed "coreset" of plans), built and checked. */
export const plansetCommand: Command = {
  name: "planset",
  summary: "build a plan set (the few plans that come closest to the best on most problems) from the market's signals; show one",
  usage: `${BUILD_USAGE}\n      ${SHOW_USAGE}`,
  subcommands: [
    {
      name: "build", summary: "select the plans from the market's accepted signals, sign them, write the file", usage: BUILD_USAGE,
      help: [
        "Reads the signals the identity may see (from --registry, or a recorded --signals file), scores each plan per",
        "problem against the best known result there, selects at most --max-plans plans greedily (submodular), signs",
        "the set with --identity's key and writes it to --out. The same signals always give the same set and version.",
        "",
        "  --registry HOST:PORT   read the signals from this registry (as --identity)",
        "  --signals FILE         or from a recorded file, offline",
        "  --identity DIR         who signs",
        "  --out FILE             where the signed plan set goes",
        `  --max-plans N          default ${DEFAULT_MAX_PLANS}`,
      ].join("\n"),
    },
    {
      name: "show", summary: "check a plan set file's signature and print its plans", usage: SHOW_USAGE,
      help: [
        "Verifies the plan set file's Ed25519 signature (and, with --trust KEY_ID, that a trusted key made it), then",
        "prints its version, signer, compiler, objective and plans with their gains. A tampered file is refused.",
        "",
        "  FILE               the plan set file",
        "  --trust KEY_ID     refuse a set signed by any other key (repeatable)",
      ].join("\n"),
    },
  ],
  help: [
    "A plan set is learned from the signals the identity may see (ListMarketSignals: accepted, verified results on",
    "other participants' problems; a private problem only as its release) for one compiler version and objective:",
    "per problem each plan's improvement over the baseline divided by the best known there (capped at 1), then a",
    "greedy submodular selection of at most --max-plans plans maximising the sum over problems of the best score.",
    "Deterministic: the same signals give the same plan set, whose version is the content id of its canonical",
    "bytes. It is signed with --identity's Ed25519 key: the signature says who vouches for it; anyone holding the",
    "same signals (--save-signals) can rebuild it and compare versions. `opm optimize --strategy transfer` builds",
    "the same set from the registry's signals and tries its plans first, those of the most similar problems first.",
    "",
    "  --registry HOST:PORT   read the signals from this registry (as --identity)",
    "  --signals FILE         or from a recorded file ({\"signals\": [...]} as --save-signals writes), offline",
    "  --identity DIR         who signs (and who asks the registry)",
    "  --compiler-version V   default: the version most signals carry",
    `  --max-plans N          default ${DEFAULT_MAX_PLANS}`,
    "  --save-signals FILE    also write the signals used, to rebuild the set offline",
    "  --trust KEY_ID         (show) refuse a set signed by any other key (repeatable)",
  ].join("\n"),
  async run(argv) {
    const args = parseCommandArgs(argv, {
      ...CLIENT_FLAGS, signals: { type: "string" }, compiler: { type: "string" }, objective: { type: "string" }, "compiler-version": { type: "string" },
      "max-plans": { type: "string" }, "save-signals": { type: "string" }, out: { type: "string" }, trust: { type: "string", multiple: true },
    });
    const out = createOutput(args.values.json === true);
    const [sub, file] = args.positionals;
    if (sub === "show") {
      if (file === undefined) throw new OpmError("invalid_argument", `usage: ${SHOW_USAGE}`);
      const trusted = args.values.trust as string[] | undefined;
      const { planSet, version } = readPlanSetFile(resolve(file), trusted);
      const plans = planSet.plans.map((p) => ({ plan: planKey({ steps: p.steps.map((s) => ({ pass: s.pass, value: s.value })) }), gain: p.gain }));
      out.result({
        version, signer: planSet.signature?.signer, keyId: planSet.signature?.keyId, compiler: compilerName(planSet.compiler), compilerVersion: planSet.compilerVersion,
        objective: objectiveFromProto(planSet.objective), problems: planSet.problems.length, signals: planSet.signalCount, signalsDigest: planSet.signalsDigest, coverage: planSet.coverage, plans,
      }, () => [
        `plan set ${version}`, `signed by ${planSet.signature?.signer} (key ${planSet.signature?.keyId}): signature verified${trusted === undefined ? " (no --trust given: any key)" : ", key trusted"}`,
        `${compilerName(planSet.compiler)} ${planSet.compilerVersion} ${objectiveFromProto(planSet.objective)}: ${planSet.plans.length} plans from ${planSet.signalCount} signals on ${planSet.problems.length} problems, coverage ${planSet.coverage.toFixed(3)} of ${planSet.problems.length}`,
        ...plans.map((p, i) => `  ${String(i + 1).padStart(2)}. +${p.gain.toFixed(3)}  ${p.plan}`),
      ].join("\n"));
      return 0;
    }
    if (sub !== "build") throw new OpmError("invalid_argument", `usage: ${this.usage}`);
    const compiler = parseCompiler(stringFlag(args, "compiler", true));
    const objective = parseObjective(stringFlag(args, "objective", true));
    const outPath = resolve(stringFlag(args, "out", true));
    const identity = loadIdentity(resolve(stringFlag(args, "identity") ?? process.env.OPM_IDENTITY ?? (stringFlag(args, "identity", true) as string)));
    const maxPlans = Number(stringFlag(args, "max-plans") ?? DEFAULT_MAX_PLANS);
    const recorded = stringFlag(args, "signals");
    const read = (source: SignalSource): Promise<MarketSignal[]> => source.list({ compiler, objective, max: 1_000_000 });
    const signals = recorded !== undefined ? await read(recordedSignalSource(readSignalsFile(resolve(recorded))))
      : await withRegistry(args, (client) => read(registrySignalSource(client)));
    const saveTo = stringFlag(args, "save-signals");
    if (saveTo !== undefined) writeFileSync(resolve(saveTo), `${JSON.stringify({ signals }, null, 1)}\n`);
    const compilerVersion = stringFlag(args, "compiler-version");
    const set = signPlanSet(buildPlanSet(signals, { compiler, objective, maxPlans, ...(compilerVersion === undefined ? {} : { compilerVersion }) }), identity.name, identity.keys);
    writePlanSetFile(outPath, set, identity.keys.publicKeyRaw);
    const version = planSetVersion(set);
    out.result({ version, out: outPath, signer: identity.name, keyId: identity.keys.keyId, plans: set.plans.length, problems: set.problems.length, signals: set.signalCount, coverage: set.coverage },
      () => `plan set ${version}: ${set.plans.length} plans covering ${set.coverage.toFixed(3)} of ${set.problems.length} problems (${set.signalCount} signals), signed by ${identity.name}, written to ${outPath}`);
    return 0;
  },
};

/** Reads `{"signals": [MarketSignal…]}` (or a bare array); throws malformed_message naming the file. */
function readSignalsFile(path: string): MarketSignal[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new OpmError("malformed_message", `${path}: not JSON: ${(err as Error).message}`, { cause: err });
  }
  const list = Array.isArray(doc) ? doc : (doc as { signals?: unknown })?.signals;
  if (!Array.isArray(list)) throw new OpmError("malformed_message", `${path}: expected {"signals": [...]}`, { field: "signals" });
  for (const [i, s] of list.entries()) {
    const x = s as Partial<MarketSignal>;
    if (typeof x?.signalId !== "string" || typeof x.problemId !== "string" || typeof x.compilerVersion !== "string" || typeof x.baseline !== "number"
      || typeof x.achieved !== "number" || !Array.isArray(x.plan?.steps) || typeof x.features !== "object") {
      throw new OpmError("malformed_message", `${path}: signals[${i}] is not a market signal (signalId, problemId, compilerVersion, features, plan.steps, baseline, achieved)`, { field: `signals[${i}]` });
    }
  }
  return list as MarketSignal[];
}

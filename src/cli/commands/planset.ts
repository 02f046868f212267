import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { recordedSignalSource, type MarketSignal } from "../../client/orchestrator/index.js";
import { buildPlanSet, DEFAULT_MAX_PLANS, planSetVersion, readPlanSetFile, signPlanSet, verifyPlanSet, writePlanSetFile } from "../../client/planset/index.js";
import type { Compiler, Objective as ObjectiveEnum } from "../../gen/openpassmarket/v1/common_pb.js";
import type { PlanSet } from "../../gen/openpassmarket/v1/planset_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import { loadIdentity } from "../../kernel/pki/index.js";
import { compilerName, compilerToProto, objectiveFromProto, objectiveToProto, parseCompiler, parseObjective, planKey } from "../../kernel/plan/index.js";
import { parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { CLIENT_FLAGS, withRegistry } from "../connect.js";
import { createOutput } from "../output.js";

const BUILD_USAGE = "opm planset build --registry HOST:PORT --identity DIR --compiler C --objective O [--compiler-version V] [--max-plans N] [--out FILE] [--json]\n"
  + "      opm planset build --signals FILE --identity DIR --compiler C --objective O [--compiler-version V] [--max-plans N] --out FILE [--json]";
const SHOW_USAGE = "opm planset show FILE [--trust KEY_ID]… [--json]\n"
  + "      opm planset show --registry HOST:PORT --identity DIR (--compiler C --compiler-version V --objective O | --version ID) [--trust KEY_ID]… [--out FILE] [--json]";

/** `opm planset build|show`: the market's plan set (a signed "coreset" of plans), built and checked. */
export const plansetCommand: Command = {
  name: "planset",
  summary: "build a plan set (the few plans that come closest to the best on most problems) on a registry or from recorded signals; show one",
  usage: `${BUILD_USAGE}\n      ${SHOW_USAGE}`,
  subcommands: [
    {
      name: "build", summary: "have the registry build, sign and store the plan set of a compiler version and objective (or build one from a signals file)", usage: BUILD_USAGE,
      help: [
        "With --registry: the node builds the plan set from its accepted signals (public problems' as measured, private",
        "problems' releases only), signs it with its own key and stores it as the next version of the chain of that",
        "compiler version and objective (a node of the contract graph that supersedes the previous version; `opm graph`",
        "shows it). The same signals give the same version, and then nothing new is stored. `opm optimize --strategy",
        "transfer` on that registry loads the newest one. With --signals: builds locally from a recorded file, offline,",
        "signed with --identity's key.",
        "",
        "  --registry HOST:PORT   the node that builds, signs and stores it (as --identity: a participant or the operator)",
        "  --signals FILE         or build locally from a recorded file ({\"signals\": [...]}), signed by --identity",
        "  --compiler-version V   default: the version most signals carry",
        `  --max-plans N          default ${DEFAULT_MAX_PLANS}`,
        "  --out FILE             also write the signed plan set to a file (required with --signals)",
        "  --save-signals FILE    (--signals) also write the signals used",
      ].join("\n"),
    },
    {
      name: "show", summary: "check a plan set's signature (a file, or the registry's newest) and print its plans", usage: SHOW_USAGE,
      help: [
        "Verifies the plan set's Ed25519 signature (and, with --trust KEY_ID, that a trusted key made it), then prints its",
        "version, signer, compiler, objective and plans with their gains. A tampered or unsigned plan set is refused.",
        "",
        "  FILE               a plan set file",
        "  --registry …       or the registry's newest plan set of --compiler, --compiler-version and --objective, or --version ID",
        "  --trust KEY_ID     refuse a set signed by any other key (repeatable)",
        "  --out FILE         (--registry) also write it to a file",
      ].join("\n"),
    },
  ],
  help: [
    "A plan set is learned from verified, accepted signals for one compiler version and objective: per problem each",
    "plan's improvement over the baseline divided by the best known there (capped at 1), then a greedy submodular",
    "selection of at most --max-plans plans maximising the sum over problems of the best score. Deterministic: the same",
    "signals give the same plan set, whose version is the content id of its canonical bytes. A registry node builds",
    "it from its own accepted signals (public problems' as measured, private problems' releases only) and signs it with",
    "its key; it is stored as a versioned node of the contract graph (`plan-set/<compiler>-<version>/<objective>@N.0.0`,",
    "superseding version N-1). `opm optimize --strategy transfer` loads the registry's newest one for its compiler",
    "version and objective (refusing one whose signature does not verify) and tries its plans first, those of the most",
    "similar problems first; without one it builds the set from the market's signals itself.",
    "",
    "  --registry HOST:PORT   the registry (as --identity)",
    "  --signals FILE         (build) build locally from a recorded file, offline",
    "  --compiler-version V   default (build): the version most signals carry",
    `  --max-plans N          default ${DEFAULT_MAX_PLANS}`,
    "  --version ID           (show) one stored version",
    "  --out FILE             write the signed plan set to a file",
    "  --save-signals FILE    (build --signals) also write the signals used",
    "  --trust KEY_ID         (show) refuse a set signed by any other key (repeatable)",
  ].join("\n"),
  async run(argv) {
    const args = parseCommandArgs(argv, {
      ...CLIENT_FLAGS, signals: { type: "string" }, compiler: { type: "string" }, objective: { type: "string" }, "compiler-version": { type: "string" },
      "max-plans": { type: "string" }, "save-signals": { type: "string" }, out: { type: "string" }, trust: { type: "string", multiple: true }, version: { type: "string" },
    });
    const out = createOutput(args.values.json === true);
    const [sub, file] = args.positionals;
    const trusted = args.values.trust as string[] | undefined;
    const outPath = stringFlag(args, "out");
    if (sub === "show") {
      let shown: { planSet: PlanSet; version: string; extra: Record<string, unknown> };
      if (file !== undefined) {
        const read = readPlanSetFile(resolve(file), trusted);
        shown = { planSet: read.planSet, version: read.version, extra: {} };
      } else if (stringFlag(args, "registry") !== undefined || process.env.OPM_REGISTRY !== undefined) {
        const versionFlag = stringFlag(args, "version");
        const request = versionFlag !== undefined ? { version: versionFlag } : chainOf(args);
        const stored = await withRegistry(args, async (client) => (await client.getPlanSet(request)).stored);
        if (stored?.planSet === undefined) throw new OpmError("not_found", "the registry returned no plan set");
        const version = verifyPlanSet(stored.planSet, stored.publicKey, trusted);
        if (version !== stored.version) throw new OpmError("unauthenticated", `the registry served plan set ${stored.version} but its content is ${version}`);
        if (outPath !== undefined) writePlanSetFile(resolve(outPath), stored.planSet, stored.publicKey);
        shown = { planSet: stored.planSet, version, extra: { ref: stored.ref, sequence: stored.sequence, supersedes: stored.supersedes, builtBy: stored.builtBy, builtAtMs: Number(stored.builtAtMs) } };
      } else {
        throw new OpmError("invalid_argument", `usage: ${SHOW_USAGE}`);
      }
      const { planSet, version } = shown;
      const plans = planSet.plans.map((p) => ({ plan: planKey({ steps: p.steps.map((s) => ({ pass: s.pass, value: s.value })) }), gain: p.gain }));
      out.result({
        version, ...shown.extra, signer: planSet.signature?.signer, keyId: planSet.signature?.keyId, compiler: compilerName(planSet.compiler), compilerVersion: planSet.compilerVersion,
        objective: objectiveFromProto(planSet.objective), problems: planSet.problems.length, signals: planSet.signalCount, signalsDigest: planSet.signalsDigest, coverage: planSet.coverage, plans,
      }, () => [
        `plan set ${version}${typeof shown.extra.ref === "string" ? ` (${shown.extra.ref})` : ""}`,
        `signed by ${planSet.signature?.signer} (key ${planSet.signature?.keyId}): signature verified${trusted === undefined ? " (no --trust given: any key)" : ", key trusted"}`,
        `${compilerName(planSet.compiler)} ${planSet.compilerVersion} ${objectiveFromProto(planSet.objective)}: ${planSet.plans.length} plans from ${planSet.signalCount} signals on ${planSet.problems.length} problems, coverage ${planSet.coverage.toFixed(3)} of ${planSet.problems.length}`,
        ...plans.map((p, i) => `  ${String(i + 1).padStart(2)}. +${p.gain.toFixed(3)}  ${p.plan}`),
      ].join("\n"));
      return 0;
    }
    if (sub !== "build") throw new OpmError("invalid_argument", `usage: ${this.usage}`);
    const compiler = parseCompiler(stringFlag(args, "compiler", true));
    const objective = parseObjective(stringFlag(args, "objective", true));
    const maxPlansText = stringFlag(args, "max-plans") ?? String(DEFAULT_MAX_PLANS);
    const maxPlans = Number(maxPlansText);
    if (!/^[1-9][0-9]{0,5}$/.test(maxPlansText)) throw new OpmError("invalid_argument", `--max-plans: ${JSON.stringify(maxPlansText)} is not a positive integer`);
    const compilerVersion = stringFlag(args, "compiler-version");
    const recorded = stringFlag(args, "signals");
    if (recorded === undefined) {
      const { stored, created } = await withRegistry(args, (client) => client.buildPlanSet({
        compiler: compilerToProto(compiler), objective: objectiveToProto(objective), compilerVersion: compilerVersion ?? "", maxPlans,
      }));
      if (stored?.planSet === undefined) throw new OpmError("internal", "the registry returned no plan set");
      const set = stored.planSet;
      verifyPlanSet(set, stored.publicKey);
      if (outPath !== undefined) writePlanSetFile(resolve(outPath), set, stored.publicKey);
      out.result({
        version: stored.version, ref: stored.ref, sequence: stored.sequence, supersedes: stored.supersedes, created, signer: set.signature?.signer, keyId: set.signature?.keyId,
        plans: set.plans.length, problems: set.problems.length, signals: set.signalCount, coverage: set.coverage, ...(outPath === undefined ? {} : { out: resolve(outPath) }),
      }, () => `plan set ${stored.version} (${stored.ref}${stored.supersedes === "" ? "" : `, supersedes ${stored.supersedes.slice(0, 12)}…`}): ${set.plans.length} plans covering ${set.coverage.toFixed(3)} of ${set.problems.length} problems (${set.signalCount} signals), signed by ${set.signature?.signer}${created ? "" : " — the signals taught nothing new: the stored version is unchanged"}`);
      return 0;
    }
    const identity = loadIdentity(resolve(stringFlag(args, "identity") ?? process.env.OPM_IDENTITY ?? (stringFlag(args, "identity", true) as string)));
    if (outPath === undefined) throw new OpmError("invalid_argument", "--out FILE is required with --signals");
    const signals = await recordedSignalSource(readSignalsFile(resolve(recorded))).list({ compiler, objective, max: 1_000_000 });
    const saveTo = stringFlag(args, "save-signals");
    if (saveTo !== undefined) writeFileSync(resolve(saveTo), `${JSON.stringify({ signals }, null, 1)}\n`);
    const set = signPlanSet(buildPlanSet(signals, { compiler, objective, maxPlans, ...(compilerVersion === undefined ? {} : { compilerVersion }) }), identity.name, identity.keys);
    writePlanSetFile(resolve(outPath), set, identity.keys.publicKeyRaw);
    const version = planSetVersion(set);
    out.result({ version, out: resolve(outPath), signer: identity.name, keyId: identity.keys.keyId, plans: set.plans.length, problems: set.problems.length, signals: set.signalCount, coverage: set.coverage },
      () => `plan set ${version}: ${set.plans.length} plans covering ${set.coverage.toFixed(3)} of ${set.problems.length} problems (${set.signalCount} signals), signed by ${identity.name}, written to ${resolve(outPath)}`);
    return 0;
  },
};

/** The chain `show --registry` asks for: --compiler, --compiler-version and --objective. */
function chainOf(args: Parameters<typeof stringFlag>[0]): { compiler: Compiler; compilerVersion: string; objective: ObjectiveEnum } {
  return {
    compiler: compilerToProto(parseCompiler(stringFlag(args, "compiler", true))),
    compilerVersion: stringFlag(args, "compiler-version", true) as string,
    objective: objectiveToProto(parseObjective(stringFlag(args, "objective", true))),
  };
}

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

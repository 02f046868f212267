import { resolve } from "node:path";
import { IrStore } from "../../adapters/framework/ir-store.js";
import { readProgramSource, splitCommand } from "../../adapters/framework/program-source.js";
import { declarationOf, TOOLCHAINS } from "../../adapters/framework/toolchains.js";
import { DEFAULT_GRACE_MS, METRIC_UNITS, optimize, resumeSearch, STRATEGIES, strategyNamed, type MarketTarget, type OptimizeResult } from "../../client/orchestrator/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { createLogger } from "../../kernel/logger/index.js";
import { loadIdentity } from "../../kernel/pki/index.js";
import { OBJECTIVES, parseCompiler, parseObjective } from "../../kernel/plan/index.js";
import { startLocalMarket, type LocalMarket } from "../../server/node/index.js";
import { parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { describeOptimizeResult } from "../describe-optimize-result.js";
import { createOutput } from "../output.js";
import { progressBar } from "../progress-bar.js";
import { readRunOptions, RUN_FLAGS, RUN_HELP } from "../run-options.js";

/** `opm optimize PROGRAM…`: pose a problem and print the best plan found with the baseline it beat. */
export const optimizeCommand: Command = {
  name: "optimize",
  summary: "search pass plans for a program (embedded registry and local adapters unless --registry)",
  usage: `opm optimize PROGRAM… --compiler ${TOOLCHAINS.map((d) => d.compiler).join("|")} [--objective ${OBJECTIVES.join("|")}] [--max-evals N] [--time-limit SECONDS] ` +
    `[--strategy ${STRATEGIES.map((s) => s.name).join("|")}] [--seed S] [--max-steps N] [--adapters N] [--lib NAME]… [--cflags 'FLAGS'] [--run 'ARGS']… [--input FILE]… [--stdin FILE] [--runs FILE.json] [--required-coverage SHARE] [--public] [--registry HOST:PORT --identity DIR --ir-store DIR [--parallel N]] [--json]\n` +
    "      opm optimize PROGRAM… --resume CAMPAIGN --registry HOST:PORT --identity DIR --ir-store DIR [--run 'ARGS']… [--input FILE]… [--json]",
  help: [
    "PROGRAM is one or more C files, a directory (every .c under it, -I for each folder holding a header), a",
    "compile_commands.json (what CMake, Meson and Bear write: each file with its own -I/-D/-std), or .ll/.bc (LLVM),",
    ".wasm/.clif (Cranelift). LLVM links the files into one module; GCC compiles each translation unit with the plan.",
    "",
    "Poses PROGRAM as a problem and searches pass plans that make it smaller than the compiler's own default, every",
    "evaluation verified and signed by an adapter. Without --registry an embedded registry (in memory) and --adapters",
    "local adapters run the search; with it, your registry and its adapters do.",
    "",
    "  --compiler C       " + TOOLCHAINS.map((d) => `${d.compiler} (objectives ${d.objectives.join(", ")}; default ${d.objectives[0]})`).join("; "),
    `  --objective O      what to minimise: ${OBJECTIVES.map((o) => `${o} (${METRIC_UNITS[o]})`).join(", ")}`,
    "  --max-evals N      evaluations to spend (default 100, or no limit by count when only --time-limit is given)",
    "  --time-limit SECONDS   search time to spend; with --max-evals too, the search stops at the first reached.",
    `                     Evaluations still running then are waited for ${DEFAULT_GRACE_MS / 1000} s more; later ones still count in the campaign`,
    "  Ctrl-C             stops the search: the best result so far is corroborated and printed (one JSON document with",
    "                     --json) and the campaign stays resumable; a second Ctrl-C exits at once",
    ...STRATEGIES.map((s, i) => `${i === 0 ? "  --strategy S       " : "                     "}${s.name}: ${s.summary}${i === 0 ? " (default)" : ""}`),
    "  --seed S           seed of the strategy (default 1); the same seed and history give the same plans",
    "  --max-steps N      longest plan, the compiler's default included (default 16)",
    "  --adapters N       local adapters of the embedded registry (default 2)",
    "  --lib NAME         a library the program links against (repeatable or comma-separated: --lib m,z); every build links it",
    "  --cflags 'FLAGS'   -I/-D/-U/-std= flags for every C file (other flags are ignored)",
    ...RUN_HELP,
    "  --required-coverage SHARE   an evaluation counts as verified when this share (0..1] of the changed instructions",
    "                     executed in the runs or direct tests (by basic block where traced); default: every changed",
    "                     function entered by a run or tested directly. Below 1, a miscompile in the rest would be signed",
    "  --public           share the IR with the market (default: private, only its digest and features leave)",
    "  --registry HOST:PORT --identity DIR --ir-store DIR   search through a running registry as the identity in DIR",
    "  --parallel N       with --registry: evaluations in flight at once (batches of 2N plans; default 4)",
    "",
    "Every search is a campaign, kept by the registry (strategy, seed, budget and each batch of plans with its jobs).",
    "  --resume CAMPAIGN  goes on with a campaign whose search stopped (killed, Ctrl-C, handed off): its holder only, with",
    "                     the same PROGRAM and runs; problem, strategy, seed and budget come from the campaign. The strategy",
    "                     re-proposes the recorded batches (it must: it is deterministic given seed and history), jobs still",
    "                     running are waited for, and the search goes on until the budget is spent: nothing is evaluated twice.",
    "                     `opm campaign list|show|handoff` reads and hands off campaigns.",
  ].join("\n"),
  async run(argv) {
    const args = parseCommandArgs(argv, {
      compiler: { type: "string" }, objective: { type: "string" }, "max-evals": { type: "string" }, "time-limit": { type: "string" }, strategy: { type: "string" },
      seed: { type: "string" }, "max-steps": { type: "string" }, adapters: { type: "string" }, public: { type: "boolean" },
      registry: { type: "string" }, identity: { type: "string" }, "ir-store": { type: "string" }, parallel: { type: "string" }, resume: { type: "string" },
      lib: { type: "string", multiple: true }, cflags: { type: "string" }, "required-coverage": { type: "string" }, ...RUN_FLAGS,
    });
    if (args.positionals.length === 0) throw new OpmError("invalid_argument", `usage: ${this.usage}`);
    const libraries = ((args.values["lib"] as string[] | undefined) ?? []).flatMap((v) => v.split(",")).filter((v) => v !== "");
    const cflags = splitCommand(stringFlag(args, "cflags") ?? "", "--cflags");
    const program = readProgramSource(args.positionals, { libraries, cflags });
    const runs = readRunOptions(args);
    const file = args.positionals.length === 1 ? args.positionals[0]! : args.positionals.join(" ");
    const number = (flag: string, fallback: number, min: number, max: number): number => {
      const v = Number(stringFlag(args, flag) ?? fallback);
      if (!Number.isInteger(v) || v < min || v > max) throw new OpmError("invalid_argument", `--${flag}: ${stringFlag(args, flag)} is not a whole number in ${min}..${max}`);
      return v;
    };
    const registryAddress = stringFlag(args, "registry");
    const resume = stringFlag(args, "resume");
    const parallel = number("parallel", 4, 1, 256);
    if (resume !== undefined) {
      // Everything that defines the search comes from the campaign: a flag that would change it is a mistake.
      const fixed = ["compiler", "objective", "max-evals", "time-limit", "strategy", "seed", "max-steps", "public", "required-coverage", "adapters"].filter((f) => args.values[f] !== undefined);
      if (fixed.length > 0) throw new OpmError("invalid_argument", `--resume: ${fixed.map((f) => `--${f}`).join(", ")} come from the campaign and cannot be given again`);
      if (registryAddress === undefined) throw new OpmError("invalid_argument", "--resume needs --registry (an embedded registry lives only as long as its run)");
    }
    const out = createOutput(args.values.json === true);
    const stop = interruptible(out.say);
    const bar = progressBar("evaluations");
    const onProgress = (done: number, total: number, best: { value: number | undefined } | undefined) =>
      bar.update(done, total === 0 ? done : total, best?.value === undefined ? "" : `best ${best.value}`);
    let result: OptimizeResult;
    try {
      if (resume !== undefined) {
        const market: MarketTarget = {
          address: registryAddress!, identity: loadIdentity(resolve(stringFlag(args, "identity", true))),
          irStore: new IrStore(resolve(stringFlag(args, "ir-store", true))), parallelism: parallel,
        };
        result = await resumeSearch({ campaignId: resume, file: args.positionals.length === 1 ? resolve(file) : file, program, runs, market, stop: stop.signal, onProgress });
      } else {
        const coverageText = stringFlag(args, "required-coverage");
        const requiredCoverage = coverageText === undefined ? undefined : Number(coverageText);
        if (requiredCoverage !== undefined && !(requiredCoverage > 0 && requiredCoverage <= 1)) {
          throw new OpmError("invalid_argument", `--required-coverage: ${JSON.stringify(coverageText)} is not a share in (0, 1]`);
        }
        const compiler = parseCompiler(stringFlag(args, "compiler", true));
        const objective = parseObjective(stringFlag(args, "objective") ?? declarationOf(compiler).objectives[0]);
        const strategy = strategyNamed(stringFlag(args, "strategy") ?? STRATEGIES[0]!.name).name;
        const timeText = stringFlag(args, "time-limit");
        const timeLimitSeconds = timeText === undefined ? 0 : Number(timeText);
        if (timeText !== undefined && !(Number.isFinite(timeLimitSeconds) && timeLimitSeconds > 0 && timeLimitSeconds <= 30 * 24 * 3600)) {
          throw new OpmError("invalid_argument", `--time-limit: ${JSON.stringify(timeText)} is not a number of seconds in (0, 2592000]`);
        }
        // With only a time limit, the count is unbounded (0); with neither, 100 evaluations.
        const maxEvaluations = number("max-evals", timeText === undefined ? 100 : 0, timeText === undefined ? 1 : 0, 1_000_000);
        const seed = number("seed", 1, 0, 2 ** 31 - 1);
        const maxSteps = number("max-steps", 16, 1, 1000), adapters = number("adapters", 2, 1, 16);
        // Without --registry, the search runs on an embedded registry with local adapters.
        let local: LocalMarket | undefined;
        const market: MarketTarget = registryAddress !== undefined
          ? {
            address: registryAddress, identity: loadIdentity(resolve(stringFlag(args, "identity", true))),
            irStore: new IrStore(resolve(stringFlag(args, "ir-store", true))), parallelism: parallel,
          }
          : (local = await startLocalMarket(compiler, adapters, createLogger({ silent: true }))).target;
        result = await optimize({
          file: args.positionals.length === 1 ? resolve(file) : file, program, compiler, objective, strategy, maxEvaluations, seed, maxSteps, market,
          timeLimitMs: Math.round(timeLimitSeconds * 1000), stop: stop.signal,
          visibility: args.values.public === true ? "public" : "private", runs,
          ...(requiredCoverage !== undefined ? { requiredCoverage } : {}), onProgress,
        }).finally(() => local?.stop());
      }
    } finally {
      stop.dispose();
    }
    bar.done();
    out.result(result, () => describeOptimizeResult(result));
    // The summary in words goes to stderr with --json too: the JSON alone is for programs.
    if (out.json) out.say(describeOptimizeResult(result));
    out.say(describeCampaign(result, registryAddress !== undefined));
    return 0;
  },
};

/**
 * Ctrl-C (SIGINT) handling for a search: the first stops it (the best so far is still
 * corroborated and printed), a second exits at once with status 130.
 */
function interruptible(say: (line: string) => void): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort("interrupted");
    say("\nstopping: the best result so far is being checked and printed (Ctrl-C again exits at once)");
  };
  process.on("SIGINT", onInterrupt);
  return { signal: controller.signal, dispose: () => process.off("SIGINT", onInterrupt) };
}

/** One line on the search's campaign: why it stopped and whether it can resume. */
function describeCampaign(r: OptimizeResult, resumable: boolean): string {
  const why = { max_evaluations: "its evaluation budget is spent", time_limit: "its time limit is reached", strategy_done: "its strategy had nothing left to propose", interrupted: "it was interrupted (Ctrl-C)" }[r.stopReason];
  const resumed = r.resumedEvaluations > 0 ? `, ${r.resumedEvaluations} of them recorded before this run` : "";
  // Jobs still running finish at a registry that outlives this run; the embedded one stops with it.
  const running = r.unsettledJobs.length === 0 ? "" : `; ${r.unsettledJobs.length} evaluation(s) still running ${resumable ? "count in the campaign" : "were abandoned"}`;
  const withdrawn = r.cancelledJobs.length === 0 ? "" : `; ${r.cancelledJobs.length} queued evaluation(s) no adapter had started were cancelled`;
  const next = r.stopReason !== "interrupted" ? "finished" : resumable ? `resume it: opm optimize … --resume ${r.campaignId}` : "the embedded registry is gone with this run, so it cannot resume";
  return `campaign ${r.campaignId}: ${r.evaluations} evaluations in ${r.searchSeconds.toFixed(1)} s${resumed}; stopped because ${why}${running}${withdrawn} (${next})`;
}

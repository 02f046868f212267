import { resolve } from "node:path";
import { IrStore } from "../../adapters/framework/ir-store.js";
import { readProgramSource, splitCommand } from "../../adapters/framework/program-source.js";
import { declarationOf, TOOLCHAINS } from "../../adapters/framework/toolchains.js";
import { METRIC_UNITS, optimize, STRATEGIES, strategyNamed, type MarketTarget } from "../../client/orchestrator/index.js";
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
  usage: `opm optimize PROGRAM… --compiler ${TOOLCHAINS.map((d) => d.compiler).join("|")} [--objective ${OBJECTIVES.join("|")}] [--max-evals N] ` +
    `[--strategy ${STRATEGIES.map((s) => s.name).join("|")}] [--seed S] [--max-steps N] [--adapters N] [--lib NAME]… [--cflags 'FLAGS'] [--run 'ARGS']… [--input FILE]… [--stdin FILE] [--runs FILE.json] [--required-coverage SHARE] [--public] [--registry HOST:PORT --identity DIR --ir-store DIR] [--json]`,
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
    "  --max-evals N      evaluations to spend (default 100)",
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
  ].join("\n"),
  async run(argv) {
    const args = parseCommandArgs(argv, {
      compiler: { type: "string" }, objective: { type: "string" }, "max-evals": { type: "string" }, strategy: { type: "string" },
      seed: { type: "string" }, "max-steps": { type: "string" }, adapters: { type: "string" }, public: { type: "boolean" },
      registry: { type: "string" }, identity: { type: "string" }, "ir-store": { type: "string" },
      lib: { type: "string", multiple: true }, cflags: { type: "string" }, "required-coverage": { type: "string" }, ...RUN_FLAGS,
    });
    if (args.positionals.length === 0) throw new OpmError("invalid_argument", `usage: ${this.usage}`);
    const libraries = ((args.values["lib"] as string[] | undefined) ?? []).flatMap((v) => v.split(",")).filter((v) => v !== "");
    const cflags = splitCommand(stringFlag(args, "cflags") ?? "", "--cflags");
    const program = readProgramSource(args.positionals, { libraries, cflags });
    const runs = readRunOptions(args);
    const coverageText = stringFlag(args, "required-coverage");
    const requiredCoverage = coverageText === undefined ? undefined : Number(coverageText);
    if (requiredCoverage !== undefined && !(requiredCoverage > 0 && requiredCoverage <= 1)) {
      throw new OpmError("invalid_argument", `--required-coverage: ${JSON.stringify(coverageText)} is not a share in (0, 1]`);
    }
    const file = args.positionals.length === 1 ? args.positionals[0]! : args.positionals.join(" ");
    const compiler = parseCompiler(stringFlag(args, "compiler", true));
    const objective = parseObjective(stringFlag(args, "objective") ?? declarationOf(compiler).objectives[0]);
    const strategy = strategyNamed(stringFlag(args, "strategy") ?? STRATEGIES[0]!.name).name;
    const number = (flag: string, fallback: number, min: number, max: number): number => {
      const v = Number(stringFlag(args, flag) ?? fallback);
      if (!Number.isInteger(v) || v < min || v > max) throw new OpmError("invalid_argument", `--${flag}: ${stringFlag(args, flag)} is not a whole number in ${min}..${max}`);
      return v;
    };
    const registryAddress = stringFlag(args, "registry");
    const maxEvaluations = number("max-evals", 100, 1, 1_000_000), seed = number("seed", 1, 0, 2 ** 31 - 1);
    const maxSteps = number("max-steps", 16, 1, 1000), adapters = number("adapters", 2, 1, 16);
    const out = createOutput(args.values.json === true);
    // Without --registry, the search runs on an embedded registry with local adapters.
    let local: LocalMarket | undefined;
    const market: MarketTarget = registryAddress !== undefined
      ? {
        address: registryAddress, identity: loadIdentity(resolve(stringFlag(args, "identity", true))),
        irStore: new IrStore(resolve(stringFlag(args, "ir-store", true))), parallelism: 4,
      }
      : (local = await startLocalMarket(compiler, adapters, createLogger({ silent: true }))).target;
    const bar = progressBar("evaluations");
    const result = await optimize({
      file: args.positionals.length === 1 ? resolve(file) : file, program, compiler, objective, strategy, maxEvaluations, seed, maxSteps, market,
      visibility: args.values.public === true ? "public" : "private", runs,
      ...(requiredCoverage !== undefined ? { requiredCoverage } : {}),
      onProgress: (done, total, best) => bar.update(done, total, best?.value === undefined ? "" : `best ${best.value}`),
    }).finally(() => local?.stop());
    bar.done();
    out.result(result, () => describeOptimizeResult(result));
    // The summary in words goes to stderr with --json too: the JSON alone is for programs.
    if (out.json) out.say(describeOptimizeResult(result));
    return 0;
  },
};

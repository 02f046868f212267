import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { IrStore } from "../../adapters/framework/ir-store.js";
import { parseCompiler, parseObjective } from "../../kernel/plan/proto-mapping.js";
import type { CompilerKind, Objective } from "../../adapters/framework/toolchain.js";
import { OpmError } from "../../kernel/errors/index.js";
import { loadIdentity } from "../../kernel/pki/index.js";
import { optimize, type StrategyName } from "../../client/orchestrator/index.js";
import { parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { createOutput } from "../output.js";
import { progressBar } from "../progress-bar.js";

const DEFAULT_OBJECTIVE: Record<CompilerKind, Objective> = { llvm: "ir-instcount", gcc: "text-size", cranelift: "code-size" };

/** `opm optimize FILE`: pose a problem and print the best plan found with the baseline it beat. */
export const optimizeCommand: Command = {
  name: "optimize",
  summary: "search pass plans for FILE (embedded registry and local adapters unless --registry)",
  usage: "opm optimize FILE --compiler llvm|gcc|cranelift [--objective ir-instcount|text-size|code-size] [--max-evals N] [--strategy random|greedy|screen] [--seed S] [--max-steps N] [--adapters N] [--public] [--registry HOST:PORT --identity DIR --ir-store DIR] [--json]",
  async run(argv) {
    const args = parseCommandArgs(argv, {
      compiler: { type: "string" }, objective: { type: "string" }, "max-evals": { type: "string" }, strategy: { type: "string" },
      seed: { type: "string" }, "max-steps": { type: "string" }, adapters: { type: "string" }, public: { type: "boolean" },
      registry: { type: "string" }, identity: { type: "string" }, "ir-store": { type: "string" },
    });
    const file = args.positionals[0];
    if (file === undefined) throw new OpmError("invalid_argument", `usage: ${this.usage}`);
    if (!existsSync(file)) throw new OpmError("invalid_argument", `FILE: ${file} does not exist`);
    const compiler = parseCompiler(stringFlag(args, "compiler", true));
    const objective = parseObjective(stringFlag(args, "objective") ?? DEFAULT_OBJECTIVE[compiler]);
    const strategy = stringFlag(args, "strategy") ?? "random";
    if (!["random", "greedy", "screen"].includes(strategy)) throw new OpmError("invalid_argument", `--strategy: unknown value ${JSON.stringify(strategy)}; expected random, greedy or screen`);
    const number = (flag: string, fallback: number, min: number, max: number): number => {
      const v = Number(stringFlag(args, flag) ?? fallback);
      if (!Number.isInteger(v) || v < min || v > max) throw new OpmError("invalid_argument", `--${flag}: ${stringFlag(args, flag)} is not a whole number in ${min}..${max}`);
      return v;
    };
    const registryAddress = stringFlag(args, "registry");
    const out = createOutput(args.values.json === true);
    const bar = progressBar("evaluations");
    const result = await optimize({
      file: resolve(file), compiler, objective, strategy: strategy as StrategyName,
      maxEvaluations: number("max-evals", 100, 1, 1_000_000), seed: number("seed", 1, 0, 2 ** 31 - 1),
      maxSteps: number("max-steps", 16, 1, 1000), adapters: number("adapters", 2, 1, 16),
      visibility: args.values.public === true ? "public" : "private",
      ...(registryAddress === undefined ? {} : {
        registry: {
          address: registryAddress, identity: loadIdentity(resolve(stringFlag(args, "identity", true))),
          irStore: new IrStore(resolve(stringFlag(args, "ir-store", true))),
        },
      }),
      onProgress: (done, total, best) => bar.update(done, total, best?.value === undefined ? "" : `best ${best.value}`),
    });
    bar.done();
    out.result(result, () =>
      [`baseline ${result.baseline} (${compiler} default for ${objective}), best ${result.best} (${result.improvement.toFixed(4)}×)`,
        `pipeline: ${result.pipeline}`,
        `${result.evaluations} evaluations (${result.failedEvaluations} failed) in ${result.seconds.toFixed(1)} s; reproduced: ${result.reproduced}`].join("\n"));
    return result.reproduced ? 0 : 1;
  },
};

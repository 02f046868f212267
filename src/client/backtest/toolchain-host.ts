import type { LocalProblem } from "../../gen/openpassmarket/v1/problem_pb.js";
import { toolchainFor } from "../../adapters/framework/toolchains.js";
import type { Toolchain } from "../../adapters/framework/toolchain.js";
import { OpmError } from "../../kernel/errors/index.js";
import { compilerName, objectiveFromProto, parseCompiler, type InputFormat, type Plan } from "../../kernel/plan/index.js";
import type { BacktestHost } from "./backtest.js";

/** The default step limit `opm optimize` uses when a problem does not say. */
const DEFAULT_MAX_STEPS = 16;

/**
 * A backtest host on this machine's toolchains: the search space from the installed
 * compiler's catalog — refused (failed_precondition) when its version is not the one the
 * problem was searched on, since another catalog makes other decisions — and, with
 * `evaluate`, plans measured on the public problem's recorded IR (measured, not verified).
 * `close` releases the toolchains.
 */
export function toolchainHost(evaluate: boolean): BacktestHost & { close(): Promise<void> } {
  const opened = new Map<string, Promise<Toolchain>>();
  const toolchainOf = (problem: LocalProblem): Promise<Toolchain> => {
    const kind = parseCompiler(compilerName(problem.compiler));
    let t = opened.get(kind);
    if (t === undefined) opened.set(kind, (t = toolchainFor(kind)));
    return t;
  };
  const host: BacktestHost & { close(): Promise<void> } = {
    async spaceOf(problem) {
      const toolchain = await toolchainOf(problem);
      const info = await toolchain.info();
      if (info.version !== problem.compilerVersion) {
        throw new OpmError("failed_precondition", `problem was searched on ${info.compiler} ${problem.compilerVersion}; this machine has ${info.version}, whose catalog (and so search space) differs`, { field: "compiler_version" });
      }
      return toolchain.searchSpace(await toolchain.catalog(), objectiveFromProto(problem.objective), problem.constraints?.maxPasses || DEFAULT_MAX_STEPS);
    },
    async close() {
      for (const t of opened.values()) await (await t).close();
    },
  };
  if (evaluate) {
    host.evaluate = async (problem: LocalProblem, plan: Plan) => {
      if (problem.ir.length === 0) throw new OpmError("failed_precondition", "the log holds no IR of this problem to evaluate plans on", { field: "problem" });
      const toolchain = await toolchainOf(problem);
      try {
        return (await toolchain.evaluate({ format: problem.irFormat as InputFormat, bytes: problem.ir }, plan, objectiveFromProto(problem.objective))).value;
      } catch (err) {
        if (err instanceof OpmError) return undefined; // a failed evaluation, as a failed job
        throw err;
      }
    };
  }
  return host;
}

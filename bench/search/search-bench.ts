/**
 * Search quality over the corpus: for each program and strategy, the compiler's own size
 * default (baseline) divided by the best plan found at an equal evaluation budget, and
 * the geometric mean over programs. Every evaluation goes through the real marketplace
 * (embedded registry, evaluation jobs, local adapters, real compiler).
 *
 *   npm run build && node dist/bench/search/search-bench.js --compiler llvm --budget 150 [--programs crc32,sha256] [--strategies random,greedy]
 *
 * With `--time-limit SECONDS` each search has that much wall time on this machine instead
 * (and no limit by count unless `--budget` is given too): the real-clock counterpart of the
 * transfer bench's simulated 60 s column. The table then also gives the evaluations made.
 */
import { parseArgs } from "node:util";
import { declarationOf } from "../../src/adapters/framework/toolchains.js";
import { optimize, strategyNamed, type OptimizeResult } from "../../src/client/orchestrator/index.js";
import { createLogger } from "../../src/kernel/logger/index.js";
import { parseCompiler, parseObjective } from "../../src/kernel/plan/index.js";
import { startLocalMarket } from "../../src/server/node/index.js";
import { corpusPrograms } from "../corpus/index.js";

const { values } = parseArgs({
  options: {
    compiler: { type: "string", default: "llvm" }, objective: { type: "string" }, budget: { type: "string" }, "time-limit": { type: "string" },
    programs: { type: "string" }, strategies: { type: "string", default: "random,greedy" }, adapters: { type: "string", default: "2" },
    "max-steps": { type: "string", default: "24" }, seed: { type: "string", default: "1" },
  },
});
const compiler = parseCompiler(values.compiler!);
const objective = parseObjective(values.objective ?? declarationOf(compiler).objectives[0]);
const timeLimitMs = values["time-limit"] === undefined ? 0 : Number(values["time-limit"]) * 1000;
const budget = Number(values.budget ?? (timeLimitMs > 0 ? 0 : 150));
const strategies = values.strategies!.split(",").map((s) => strategyNamed(s, "strategies").name);
const wanted = values.programs?.split(",");
const programs = corpusPrograms().filter((p) => wanted === undefined || wanted.includes(p.name));

const market = await startLocalMarket(compiler, Number(values.adapters), createLogger({ silent: true }));
const rows: Array<{ program: string; results: Record<string, OptimizeResult> }> = [];
const started = performance.now();
try {
  for (const program of programs) {
    const results: Record<string, OptimizeResult> = {};
    for (const strategy of strategies) {
      results[strategy] = await optimize({
        file: program.path, compiler, objective, maxEvaluations: budget, timeLimitMs, strategy, seed: Number(values.seed),
        maxSteps: Number(values["max-steps"]), market: market.target, visibility: "private",
      });
      const r = results[strategy]!;
      process.stderr.write(`${program.name} ${strategy}: baseline ${r.baseline} best ${r.best} (${r.sizeRatio.toFixed(4)}×, ${r.evaluations} evals, ${r.unreproduced.length} not reproduced here) pipeline ${r.pipeline}\n`);
    }
    rows.push({ program: program.name, results });
  }
} finally {
  await market.stop();
}

const geomean = (xs: number[]) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
const lines = [
  `| program | baseline | ${strategies.map((s) => `${s} best | ${s} × | ${s} evals`).join(" | ")} |`,
  `|---|---:|${strategies.map(() => "---:|---:|---:").join("|")}|`,
  ...rows.map((r) => `| ${r.program} | ${r.results[strategies[0]!]!.baseline} | ${strategies.map((s) => `${r.results[s]!.best} | ${r.results[s]!.sizeRatio.toFixed(4)} | ${r.results[s]!.evaluations}`).join(" | ")} |`),
  `| **geomean** | | ${strategies.map((s) => ` | **${geomean(rows.map((r) => r.results[s]!.sizeRatio)).toFixed(4)}×** | `).join(" | ")} |`,
  "",
  `${programs.length} programs, ${compiler} ${objective}, ${timeLimitMs > 0 ? `${timeLimitMs / 1000} s per search${budget > 0 ? ` or ${budget} evaluations` : ""}` : `budget ${budget} evaluations`} per program and strategy, ${((performance.now() - started) / 1000).toFixed(0)} s; results adapters reported that did not reproduce here: ${rows.reduce((n, r) => n + strategies.reduce((m, s) => m + r.results[s]!.unreproduced.length, 0), 0)}`,
];
process.stdout.write(`${lines.join("\n")}\n`);

/**
 * The share of a private search that its release takes: real private LLVM searches
 * (`optimize`, the function behind `opm optimize`, on an embedded registry with local LLVM
 * adapters) timed end to end, each ending with the one `ReleaseResult` call a private
 * search makes; the release's own latency comes from `release-cost-bench.ts`, run in the
 * same session (see bench/RESULTS.md, *The cost a release adds to a search*).
 *
 *     npx tsc --outDir .tmp/privacy-bench --rootDir . --module nodenext --moduleResolution nodenext \
 *       --target es2022 --lib es2023 --types node --strict --skipLibCheck --sourceMap false bench/privacy/search-share-bench.ts
 *     node .tmp/privacy-bench/bench/privacy/search-share-bench.js --program crc32 --evals 8 --runs 3
 */
import { performance } from "node:perf_hooks";
import { corpusPrograms } from "../corpus/index.js";
import { optimize } from "../../src/client/orchestrator/index.js";
import { createLogger } from "../../src/kernel/logger/index.js";
import { startLocalMarket } from "../../src/server/node/index.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const PROGRAM = arg("program", "crc32");
const EVALS = Number(arg("evals", "8"));
const RUNS = Number(arg("runs", "3"));

async function main(): Promise<void> {
  const program = corpusPrograms().find((p) => p.name === PROGRAM);
  if (program === undefined) throw new Error(`no corpus program ${PROGRAM}`);
  const market = await startLocalMarket("llvm", 2, createLogger({ silent: true }));
  const times: number[] = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      const t = performance.now();
      const result = await optimize({
        file: program.path, compiler: "llvm", objective: "ir-instcount", maxEvaluations: EVALS, strategy: "random", seed: run, maxSteps: 8,
        market: market.target, visibility: "private",
      });
      const ms = performance.now() - t;
      times.push(ms);
      console.log(`run ${run}: ${(ms / 1000).toFixed(2)} s, ${result.evaluations} evaluations, release ${JSON.stringify(result.release)}`);
    }
  } finally {
    await market.stop();
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`private search of ${PROGRAM}, ${EVALS} evaluations, 2 local LLVM adapters: median ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(2)} s, min ${(sorted[0]! / 1000).toFixed(2)} s, max ${(sorted.at(-1)! / 1000).toFixed(2)} s (n = ${times.length})`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

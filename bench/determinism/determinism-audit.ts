/**
 * Determinism audit: every pass of the installed LLVM's catalog, alone and after
 * `default<Oz>`, evaluated RUNS times on corpus programs through the adapter's own
 * `evaluate` (opt under `setarch -R`); reports every pass whose output digest or metric
 * differs between runs. The adapter's evaluations are only as reproducible as this says.
 *
 *   npm run build && node dist/bench/determinism/determinism-audit.js [--programs crc32,json,sha256] [--runs 3]
 */
import { parseArgs } from "node:util";
import { checkDeterminism, LlvmToolchain } from "../../src/adapters/llvm/index.js";
import { corpusPrograms } from "../corpus/index.js";

const { values } = parseArgs({ options: { programs: { type: "string", default: "crc32,json,sha256" }, runs: { type: "string", default: "3" } } });
const runs = Number(values.runs);
const wanted = values.programs!.split(",");
const llvm = new LlvmToolchain();
const passes = (await llvm.catalog()).filter((o) => ["module", "cgscc", "function", "loop"].includes(o.level));
const unstable: string[] = [];
const crashed: string[] = [];
let checked = 0;
const started = performance.now();
for (const program of corpusPrograms().filter((p) => wanted.includes(p.name))) {
  const { input } = await llvm.prepare(program.path, "ir-instcount");
  for (const pass of passes) {
    for (const steps of [[{ pass: pass.name }], [{ pass: "default", value: "Oz" }, { pass: pass.name }]]) {
      checked++;
      try {
        const report = await checkDeterminism(llvm, input, { steps }, runs);
        if (!report.deterministic) unstable.push(`${program.name}: ${llvm.renderPlan({ steps })} → ${report.values.join(" / ")}`);
      } catch (err) {
        // A crash or a verifier failure is a failed evaluation, not nondeterminism: listed apart.
        crashed.push(`${program.name}: ${llvm.renderPlan({ steps })} (${(err as Error).message.split("\n")[0]})`);
      }
    }
  }
  process.stderr.write(`${program.name}: ${passes.length * 2} plans × ${runs} runs\n`);
}
process.stdout.write([
  `${checked} plans (${passes.length} passes alone and after default<Oz>, on ${wanted.join(", ")}), ${runs} runs each, ${((performance.now() - started) / 1000).toFixed(0)} s.`,
  unstable.length === 0 ? "Every plan that ran gave the same output digest and metric in every run." : `Nondeterministic:\n${unstable.map((u) => `- ${u}`).join("\n")}`,
  crashed.length === 0 ? "No plan failed." : `Failed (opt crashed or the output did not verify; such jobs fail with the compiler's stderr):\n${crashed.map((c) => `- ${c}`).join("\n")}`,
].join("\n") + "\n");

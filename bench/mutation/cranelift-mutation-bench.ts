/**
 * False-alarm check and mutation test of the Cranelift verifier's semantics layer
 * (sandboxed differential execution, driver op `differential`).
 *
 * Command (from the repository root, after `cargo build --release` in
 * src/adapters/cranelift/driver; no tsx is installed, so compile first):
 *
 *   npx tsc --outDir .tmp/mutation --rootDir . --module nodenext --moduleResolution nodenext \
 *     --target es2022 --lib es2023 --types node --skipLibCheck --sourceMap false \
 *     bench/mutation/cranelift-mutation-bench.ts \
 *     && node .tmp/mutation/bench/mutation/cranelift-mutation-bench.js [--programs a,b,…] \
 *          [--per-kind 3] [--seed opm-clif-mutation-1] [--skip-plans] [--json results.json]
 *
 * Part 1 (false alarms): every corpus program (C → wasm with `CLANG_WASM_FLAGS`)
 * under each plan of `PLANS` goes through `craneliftSemanticsLayer` as an adapter
 * runs it (AFTER = the CLIF `Context::compile` lowers); each must be accepted with a
 * decided verdict. Reports compared / total functions and runs.
 * Part 2 (mutants): for each program, `--per-kind` mutants of each kind
 * (`mutate-clif.ts`) in functions that store to linear memory, of the lowered CLIF,
 * are verified with `verifyTransform` (BEFORE = the wasm, AFTER = the mutant). Mutants
 * Cranelift's reader or verifier refuses are "invalid" (reported apart); a mutant is
 * "killed" when semantics rejects it, "not covered" when semantics could not compare
 * the mutated function, else it "survived" (some survivors are equivalent mutants: a
 * dead store dropped, a constant nobody reads; there is no independent oracle).
 */
import { writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { CraneliftToolchain, parseCraneliftPlan } from "../../src/adapters/cranelift/index.js";
import { corpusPrograms } from "../corpus/index.js";
import { verifyTransform } from "../../src/adapters/framework/toolchains.js";
import { differentialToLayer } from "../../src/adapters/cranelift/differential-layer.js";
import { CLIF_MUTATION_KINDS, generateClifMutants, type ClifMutationKind } from "./mutate-clif.js";

/** Legitimate plans: every opt level through the codegen pipeline, and explicit steps. */
export const PLANS = [
  "opt_level=none",
  "opt_level=speed",
  "opt_level=speed_and_size",
  "opt_level=speed_and_size; remove_constant_phis, replace_redundant_loads, egraph_pass, egraph_pass",
  "opt_level=none; legalize, eliminate_unreachable_code, remove_constant_phis, egraph_pass",
];

const { values } = parseArgs({
  options: { programs: { type: "string" }, "per-kind": { type: "string" }, seed: { type: "string" }, "skip-plans": { type: "boolean" }, json: { type: "string" } },
});
const programs = corpusPrograms().filter((p) => values.programs === undefined || values.programs.split(",").includes(p.name));
const perKind = Number(values["per-kind"] ?? 3);
const seed = values.seed ?? "opm-clif-mutation-1";
const log = (s: string): void => void process.stderr.write(`${s}\n`);

interface PlanRow { program: string; plan: string; ok: boolean; decided: boolean; compared: number; functions: number; runs: number; ms: number; evidence: string }
interface MutantRow { program: string; kind: ClifMutationKind; function: string; description: string; outcome: "killed" | "survived" | "not covered" | "invalid"; evidence: string }

const toolchain = new CraneliftToolchain();
const planRows: PlanRow[] = [];
const mutantRows: MutantRow[] = [];
try {
  for (const program of programs) {
    const { input } = await toolchain.prepare(program.path, "code-size");
    if (!values["skip-plans"]) {
      for (const plan of PLANS) {
        const started = performance.now();
        // What `craneliftSemanticsLayer` does for an adapter's evaluation, keeping the totals.
        const r = await toolchain.compareSemantics(input, { plan: parseCraneliftPlan(plan) });
        const layer = differentialToLayer(r);
        const row = {
          program: program.name, plan, ok: layer.ok, decided: layer.decided !== false, compared: r.totals.compared_functions,
          functions: r.totals.functions, runs: r.totals.compared_runs, ms: Math.round(performance.now() - started), evidence: layer.evidence,
        };
        planRows.push(row);
        log(`${program.name} [${plan}] ${row.ok ? "ok" : row.decided ? "REJECTED (false alarm)" : "undecided"} ${row.compared}/${row.functions} functions, ${row.runs} runs, ${row.ms} ms${row.ok ? "" : `: ${row.evidence}`}`);
      }
    }
    const lowered = await toolchain.driver.request("lower", { input: { format: "wasm", base64: Buffer.from(input.bytes).toString("base64") } });
    for (const kind of CLIF_MUTATION_KINDS) {
      for (const m of generateClifMutants(lowered.functions, kind, perKind, `${seed}\0${program.name}`)) {
        const verdict = await verifyTransform({ compiler: "cranelift", before: { bytes: input.bytes }, after: { text: m.text } });
        const semantics = verdict.layers.find((l) => l.name === "semantics");
        let outcome: MutantRow["outcome"] = verdict.rejectedBy === "well-formed" || verdict.reason !== undefined ? "invalid"
          : verdict.rejectedBy === "semantics" ? "killed" : "survived";
        if (outcome === "survived") {
          // Was the mutated function itself compared? (The verdict only says that some were.)
          const one = await toolchain.compareSemantics(input, { input: { format: "clif", bytes: Buffer.from(m.text) } }, { functions: [m.function] });
          if (one.functions[0]?.status === "not_covered") outcome = "not covered";
        }
        const evidence = semantics?.evidence ?? verdict.reason ?? verdict.layers.at(-1)?.evidence ?? "";
        mutantRows.push({ program: program.name, kind, function: m.function, description: m.description, outcome, evidence });
        log(`  ${program.name} ${kind} ${m.function} ${m.description}: ${outcome}${outcome === "killed" ? ` — ${evidence.slice(0, 160)}` : ""}`);
      }
    }
  }
} finally {
  await toolchain.close();
}

const sum = (rows: PlanRow[], k: "compared" | "functions" | "runs"): number => rows.reduce((n, r) => n + r[k], 0);
const out: string[] = [];
if (planRows.length > 0) {
  out.push("| plan | programs | false alarms | undecided | functions compared | runs compared | mean ms/program |", "|---|---:|---:|---:|---:|---:|---:|");
  for (const plan of PLANS) {
    const rows = planRows.filter((r) => r.plan === plan);
    out.push(`| \`${plan}\` | ${rows.length} | ${rows.filter((r) => !r.ok && r.decided).length} | ${rows.filter((r) => !r.decided).length} | ${sum(rows, "compared")}/${sum(rows, "functions")} | ${sum(rows, "runs")} | ${Math.round(rows.reduce((n, r) => n + r.ms, 0) / Math.max(rows.length, 1))} |`);
  }
  out.push("");
}
out.push("| kind | mutants | invalid | killed | not covered | survived | killed / (killed + survived) |", "|---|---:|---:|---:|---:|---:|---:|");
for (const kind of [...CLIF_MUTATION_KINDS, "all"] as const) {
  const rows = mutantRows.filter((r) => kind === "all" || r.kind === kind);
  const n = (o: MutantRow["outcome"]): number => rows.filter((r) => r.outcome === o).length;
  const score = n("killed") + n("survived") > 0 ? `${((100 * n("killed")) / (n("killed") + n("survived"))).toFixed(1)} %` : "–";
  out.push(`| ${kind} | ${rows.length} | ${n("invalid")} | ${n("killed")} | ${n("not covered")} | ${n("survived")} | ${score} |`);
}
process.stdout.write(`${out.join("\n")}\n`);
if (values.json) await writeFile(values.json, JSON.stringify({ plans: planRows, mutants: mutantRows }, null, 2));

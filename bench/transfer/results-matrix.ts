/**
 * The results matrix of the transfer benchmark: every pool plan evaluated once on every
 * program (the objective's metric), kept in a cache together with every other evaluation
 * and verdict the benchmark made, so reruns cost little. The cache is gzipped JSON
 * (`results-cache.json.gz`); a plain `results-cache.json` is still read.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { runTool } from "../../src/adapters/framework/run-tool.js";
import type { PreparedProblem, Toolchain } from "../../src/adapters/framework/toolchain.js";
import { verifyTransform } from "../../src/adapters/framework/toolchains.js";
import { findLlvmTools } from "../../src/adapters/llvm/find-llvm-tools.js";
import { countInstructions } from "../../src/adapters/llvm/inst-count-features.js";
import { readLlvmIr } from "../../src/adapters/llvm/read-llvm-ir.js";
import { planKey, type CompilerKind, type Objective, type Plan } from "../../src/kernel/plan/index.js";
import type { BenchProgram } from "./bench-programs.js";

/** What the cache keeps of one program on one compiler. */
export interface ProgramRecord {
  name: string;
  kind: string;
  digest: string;
  compilerVersion: string;
  /** Absent in records written before GCC and Cranelift joined: LLVM, ir-instcount. */
  compiler?: CompilerKind;
  objective?: Objective;
  /** The share of changed code the runs must cover (`VerifyRequest.requiredCoverage`); absent: every changed function. */
  requiredCoverage?: number;
  baseline: number;
  features: Record<string, number>;
  /** Metric by plan key; null: the evaluation failed. */
  values: Record<string, number | null>;
  /** Milliseconds each evaluation took. */
  ms: Record<string, number>;
  /** Verdict by plan key: "accepted", "rejected" or "undecided" (LLVM: with plain `opt`, the metric claimed). */
  verdicts: Record<string, string>;
  /**
   * The metric the benchmark measured itself when it verified the plan: LLVM, the
   * instructions of plain `opt -passes=…`'s output counted here; GCC and Cranelift, a
   * fresh evaluation. A verdict is "accepted" only when this equals `values[key]`.
   */
  recount?: Record<string, number>;
  /** Milliseconds of each verification (the first builds the references). */
  verifyMs: number[];
}

export interface Cache {
  programs: Record<string, ProgramRecord>;
  /**
   * The verified results that may teach other programs' plan sets (`--teach all`), frozen
   * the first time they were asked for: per record key, the input digest they were measured
   * on and the plan keys whose verdict was "accepted" and value below the baseline then.
   * Frozen so a later run's results — made by searches whose plan sets held this program's
   * results — never come back to teach it (see the README).
   */
  teachingSnapshot?: { takenAt: string; programs: Record<string, { digest: string; keys: string[] }> };
}

/** Every verified improving result `cache` holds, per record key: what `Cache.teachingSnapshot` freezes. */
export function snapshotTeaching(cache: Cache): NonNullable<Cache["teachingSnapshot"]> {
  const programs: Record<string, { digest: string; keys: string[] }> = {};
  for (const [name, r] of Object.entries(cache.programs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const keys = Object.keys(r.verdicts).filter((k) => r.verdicts[k] === "accepted" && r.values[k] != null && r.values[k]! < r.baseline).sort();
    programs[name] = { digest: r.digest, keys };
  }
  return { takenAt: new Date().toISOString(), programs };
}

/** Reads `path` (gzipped when it ends in `.gz`), or the other form when only that exists. */
export function loadCache(path: string): Cache {
  const other = path.endsWith(".gz") ? path.slice(0, -3) : `${path}.gz`;
  const from = existsSync(path) ? path : existsSync(other) ? other : undefined;
  if (from === undefined) return { programs: {} };
  const bytes = readFileSync(from);
  return JSON.parse((from.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8")) as Cache;
}

export function saveCache(path: string, cache: Cache): void {
  const text = `${JSON.stringify(cache)}\n`;
  writeFileSync(path, path.endsWith(".gz") ? gzipSync(text, { level: 9 }) : text);
}

/** The cache key of `program` on `compiler`: LLVM records keep the bare name they always had. */
export function recordKey(compiler: CompilerKind, program: string): string {
  return compiler === "llvm" ? program : `${compiler}/${program}`;
}

/** A program prepared for the benchmark: the toolchain's input and its cache record. */
export interface Prepared {
  program: BenchProgram;
  compiler: CompilerKind;
  objective: Objective;
  prepared: PreparedProblem;
  record: ProgramRecord;
  /** Reference builds kept across this program's verifications. */
  verifyCache: Map<string, unknown>;
}

/**
 * Prepares `program` (input, features, the compiler's default as baseline), reusing its
 * cache record when the input, compiler version and required coverage are the same.
 */
export async function prepareProgram(toolchain: Toolchain, program: BenchProgram, cache: Cache, compiler: CompilerKind, objective: Objective, compilerVersion: string): Promise<Prepared> {
  const prepared = await toolchain.prepare(program.program, objective);
  const key = recordKey(compiler, program.name);
  let record = cache.programs[key];
  if (record === undefined || record.digest !== prepared.digest || record.compilerVersion !== compilerVersion || (record.objective ?? "ir-instcount") !== objective) {
    record = { name: program.name, kind: program.kind, digest: prepared.digest, compilerVersion, compiler, objective, baseline: prepared.baseline.value, features: prepared.features, values: {}, ms: {}, verdicts: {}, recount: {}, verifyMs: [] };
    cache.programs[key] = record;
  }
  if (record.requiredCoverage !== program.requiredCoverage) {
    // Verdicts were given under another coverage rule: they do not carry over.
    record.verdicts = {};
    record.recount = {};
    record.verifyMs = [];
    if (program.requiredCoverage === undefined) delete record.requiredCoverage;
    else record.requiredCoverage = program.requiredCoverage;
  }
  record.recount ??= {};
  return { program, compiler, objective, prepared, record, verifyCache: new Map() };
}

/** The metric of `plan` on `p` (cached); undefined when the evaluation fails. */
export async function evaluatePlan(toolchain: Toolchain, p: Prepared, plan: Plan): Promise<number | undefined> {
  const key = planKey(plan);
  if (key in p.record.values) return p.record.values[key] ?? undefined;
  const t = performance.now();
  let value: number | null = null;
  try {
    value = (await toolchain.evaluate(p.prepared.input, plan, p.objective, { timeoutMs: 120_000 })).value;
  } catch {
    value = null;
  }
  p.record.values[key] = value;
  p.record.ms[key] = Math.round(performance.now() - t);
  return value ?? undefined;
}

let llvmTools: ReturnType<typeof findLlvmTools> | undefined;

/**
 * Whether `plan`'s result on `p` is verified and reproduced. LLVM: AFTER re-made with
 * plain `opt -passes=…`, its instructions counted here, then `verifyTransform` on the
 * program's runs with the cached metric as the claim (so the metric layer recounts it
 * too). GCC, Cranelift: a fresh evaluation, then the toolchain's own `verifyEvaluation`
 * on the program's runs. Accepted only when the verdict passes and the recount equals
 * the cached metric. Cached by plan key.
 */
export async function verifyPlan(toolchain: Toolchain, p: Prepared, plan: Plan): Promise<boolean> {
  const key = planKey(plan);
  const held = p.record.verdicts[key];
  if (held !== undefined) return held === "accepted";
  const t = performance.now();
  const claimed = p.record.values[key];
  let outcome = "rejected";
  if (p.compiler === "llvm") {
    llvmTools ??= findLlvmTools();
    const before = new TextDecoder().decode(p.prepared.input.bytes);
    const r = await runTool(llvmTools.opt, [`-passes=${toolchain.renderPlan(plan)}`, "-S", "-", "-o", "-"], { stdin: before, timeoutMs: 600_000, deterministic: true, maxOutputBytes: 256 * 1024 * 1024 });
    if (r.exitCode === 0) {
      const after = r.stdout.toString();
      p.record.recount![key] = countInstructions(readLlvmIr(after));
      const verdict = await verifyTransform({
        compiler: "llvm", before: { text: before }, after: { text: after }, runs: p.program.runs,
        libraries: p.prepared.input.libraries ?? [], cache: p.verifyCache, objective: p.objective,
        ...(p.program.source === undefined ? {} : { source: p.program.source }),
        ...(p.program.requiredCoverage === undefined ? {} : { requiredCoverage: p.program.requiredCoverage }),
        ...(claimed == null ? {} : { claimedMetric: claimed }),
      });
      outcome = verdict.ok && p.record.recount![key] === claimed ? "accepted" : verdict.ok || verdict.decided ? "rejected" : "undecided";
    }
  } else {
    const input = { ...p.prepared.input, runs: p.program.runs, ...(p.program.requiredCoverage === undefined ? {} : { requiredCoverage: p.program.requiredCoverage }) };
    try {
      const measured = await toolchain.evaluate(input, plan, p.objective, { timeoutMs: 600_000 });
      p.record.recount![key] = measured.value;
      const verdict = await toolchain.verifyEvaluation({ input, plan, objective: p.objective, measured }, p.verifyCache);
      outcome = verdict.ok && measured.value === claimed ? "accepted" : verdict.ok || verdict.decided ? "rejected" : "undecided";
    } catch {
      outcome = "rejected";
    }
  }
  p.record.verdicts[key] = outcome;
  p.record.verifyMs.push(Math.round(performance.now() - t));
  return outcome === "accepted";
}

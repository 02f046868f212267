/**
 * The results matrix of the transfer benchmark: every pool plan evaluated once on every
 * program (IR instructions after `opt`), kept in a JSON cache together with every other
 * evaluation and verdict the benchmark made, so reruns cost little.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { runTool } from "../../src/adapters/framework/run-tool.js";
import type { PreparedProblem, Toolchain } from "../../src/adapters/framework/toolchain.js";
import { verifyTransform } from "../../src/adapters/framework/toolchains.js";
import { findLlvmTools } from "../../src/adapters/llvm/find-llvm-tools.js";
import { planKey, type Plan } from "../../src/kernel/plan/index.js";
import type { BenchProgram } from "./bench-programs.js";

/** What the cache keeps of one program. */
export interface ProgramRecord {
  name: string;
  kind: string;
  digest: string;
  compilerVersion: string;
  baseline: number;
  features: Record<string, number>;
  /** Metric by plan key; null: the evaluation failed. */
  values: Record<string, number | null>;
  /** Milliseconds each evaluation took. */
  ms: Record<string, number>;
  /** Verdict by plan key: "accepted", "rejected" or "undecided" (with plain `opt`, the metric claimed). */
  verdicts: Record<string, string>;
  /** Milliseconds of each verification (the first builds the references). */
  verifyMs: number[];
}

export interface Cache {
  programs: Record<string, ProgramRecord>;
}

export function loadCache(path: string): Cache {
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as Cache) : { programs: {} };
}

export function saveCache(path: string, cache: Cache): void {
  writeFileSync(path, `${JSON.stringify(cache)}\n`);
}

/** A program prepared for the benchmark: the toolchain's input and its cache record. */
export interface Prepared {
  program: BenchProgram;
  prepared: PreparedProblem;
  record: ProgramRecord;
  /** Reference builds kept across this program's verifications. */
  verifyCache: Map<string, unknown>;
}

/** Prepares `program` (IR, features, `default<Oz>` baseline), reusing its cache record when the IR is the same. */
export async function prepareProgram(toolchain: Toolchain, program: BenchProgram, cache: Cache, compilerVersion: string): Promise<Prepared> {
  const prepared = await toolchain.prepare(program.program, "ir-instcount");
  let record = cache.programs[program.name];
  if (record === undefined || record.digest !== prepared.digest || record.compilerVersion !== compilerVersion) {
    record = { name: program.name, kind: program.kind, digest: prepared.digest, compilerVersion, baseline: prepared.baseline.value, features: prepared.features, values: {}, ms: {}, verdicts: {}, verifyMs: [] };
    cache.programs[program.name] = record;
  }
  return { program, prepared, record, verifyCache: new Map() };
}

/** The metric of `plan` on `p` (cached); undefined when the evaluation fails. */
export async function evaluatePlan(toolchain: Toolchain, p: Prepared, plan: Plan): Promise<number | undefined> {
  const key = planKey(plan);
  if (key in p.record.values) return p.record.values[key] ?? undefined;
  const t = performance.now();
  let value: number | null = null;
  try {
    value = (await toolchain.evaluate(p.prepared.input, plan, "ir-instcount", { timeoutMs: 120_000 })).value;
  } catch {
    value = null;
  }
  p.record.values[key] = value;
  p.record.ms[key] = Math.round(performance.now() - t);
  return value ?? undefined;
}

const tools = findLlvmTools();

/**
 * Whether `plan`'s result on `p` is verified: AFTER re-made with plain `opt -passes=…`,
 * then `verifyTransform` on the program's runs with the cached metric as the claim (so
 * the metric layer recounts it). Cached by plan key.
 */
export async function verifyPlan(toolchain: Toolchain, p: Prepared, plan: Plan): Promise<boolean> {
  const key = planKey(plan);
  const held = p.record.verdicts[key];
  if (held !== undefined) return held === "accepted";
  const t = performance.now();
  const before = new TextDecoder().decode(p.prepared.input.bytes);
  const r = await runTool(tools.opt, [`-passes=${toolchain.renderPlan(plan)}`, "-S", "-", "-o", "-"], { stdin: before, timeoutMs: 600_000, deterministic: true, maxOutputBytes: 256 * 1024 * 1024 });
  let outcome = "rejected";
  if (r.exitCode === 0) {
    const verdict = await verifyTransform({
      compiler: "llvm", before: { text: before }, after: { text: r.stdout.toString() }, runs: p.program.runs,
      libraries: p.prepared.input.libraries ?? [], cache: p.verifyCache, objective: "ir-instcount",
      ...(p.program.source === undefined ? {} : { source: p.program.source }),
      ...(p.record.values[key] == null ? {} : { claimedMetric: p.record.values[key]! }),
    });
    outcome = verdict.ok ? "accepted" : verdict.decided ? "rejected" : "undecided";
  }
  p.record.verdicts[key] = outcome;
  p.record.verifyMs.push(Math.round(performance.now() - t));
  return outcome === "accepted";
}

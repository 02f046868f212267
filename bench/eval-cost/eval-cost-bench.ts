/**
 * What one evaluation job costs an LLVM adapter on real programs: the job's work
 * (`toolchain.evaluate` then `verifyEvaluation`, exactly as `runJob` does it, with one
 * verifier cache per process like the adapter's) over a fixed list of plans of the
 * random strategy (`default<Oz>` followed by 0..N random moves, seeded), on the linked
 * IR of `bench/corpus/real/<name>` (compiled like `compileCToIr`, libraries recorded
 * in `!llvm.dependent-libraries`).
 *
 * Each measurement runs in a fresh worker process (a fresh adapter: cold caches, the
 * first evaluation pays the per-problem work). With `--head DIR` (a built checkout of
 * another commit, e.g. `git worktree add /tmp/opm-head HEAD && ln -s $PWD/node_modules
 * /tmp/opm-head/ && (cd /tmp/opm-head && npx tsc -p tsconfig.build.json)`), the same
 * plans run on that tree too, rounds alternating between the trees, and the report
 * gives each tree's evaluations per second and their ratio, so a shared, noisy machine
 * still compares like with like. Programs that link libraries: the other tree's
 * builds get them through clang's `CCC_OVERRIDE_OPTIONS` (older trees do not read
 * `!llvm.dependent-libraries` and would otherwise leave every evaluation undecided,
 * skipping the AFTER build — not the same work); this tree's workers get an inert
 * variable of the same size instead, because opt's output for some plans depends on
 * the size of its environment. The report checks that every run gave every plan the
 * same outcome, metric and output digest.
 *
 * `--ll a.ll,b.ll` adds modules of your own (their `!llvm.dependent-libraries` are the
 * libraries). `--profile` adds, per tree, the time of every tool run (`child_process.spawn` to
 * `close`, grouped by tool) and the main thread's busy time, per evaluation.
 *
 *   npm run build && node dist/bench/eval-cost/eval-cost-bench.js [--programs lua,zlib] [--ll big.ll] [--evaluations 20]
 *     [--rounds 2] [--concurrency 2] [--head /tmp/opm-head] [--objective ir-instcount] [--max-moves 8] [--seed 1] [--profile]
 */
import { spawn as spawnChild, type ChildProcess } from "node:child_process";
import * as childProcess from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import { realPrograms, type RealProgram } from "../corpus/index.js";

const { values } = parseArgs({
  options: {
    programs: { type: "string", default: "lua,zlib" },
    ll: { type: "string" },
    evaluations: { type: "string", default: "20" },
    rounds: { type: "string", default: "2" },
    concurrency: { type: "string", default: "2" },
    head: { type: "string" },
    objective: { type: "string", default: "ir-instcount" },
    "max-moves": { type: "string", default: "8" },
    seed: { type: "string", default: "1" },
    profile: { type: "boolean", default: false },
    // worker mode (internal)
    worker: { type: "boolean", default: false },
    tree: { type: "string" },
    ir: { type: "string" },
    plans: { type: "string" },
  },
});

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), "../.."); // dist/ of this tree

interface Plan { steps: Array<{ pass: string; value?: string }> }
interface WorkerResult {
  wallMs: number;
  firstMs: number;
  outcomes: Record<string, number>;
  evalMs: number[];
  tools: Record<string, { count: number; ms: number }>;
  busyMs: number;
  /** CPU time of the worker and every tool it ran (user + system, children included). */
  cpuMs: number;
  /** Per plan, in plan order: the outcome, and the output digest and metric when evaluate succeeded. */
  results: string[];
}

if (values.worker) await worker();
else await main();

async function main(): Promise<void> {
  const objective = values.objective!;
  const n = Number(values.evaluations);
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const wanted = values.programs!.split(",").filter((p) => p !== "");
  const programs: Array<RealProgram | { name: string; ll: string; libs: readonly string[] }> = realPrograms().filter((p) => wanted.includes(p.name));
  for (const ll of values.ll?.split(",") ?? []) programs.push({ name: basename(ll), ll: resolve(ll), libs: await dependentLibraries(ll) });
  if (programs.length === 0) throw new Error(`no real program among ${wanted.join(", ")} (bench/corpus/real/) and no --ll`);
  const trees: Array<{ name: string; dist: string }> = [{ name: "this tree", dist: DIST }];
  if (values.head !== undefined) trees.unshift({ name: `head (${basename(resolve(values.head))})`, dist: join(resolve(values.head), "dist") });
  const work = mkdtempSync(join(tmpdir(), "opm-eval-cost-"));
  try {
    const plansFile = join(work, "plans.json");
    writeFileSync(plansFile, JSON.stringify(await randomPlans(n, Number(values["max-moves"]), Number(values.seed))));
    const lines: string[] = [];
    lines.push(`| program | IR instructions | tree | round | evaluations | outcomes | wall s | first eval s | evaluations/s | CPU s / evaluation |`);
    lines.push(`|---|---:|---|---:|---:|---|---:|---:|---:|---:|`);
    const summary: string[] = [];
    for (const program of programs) {
      const { file, instructions } = "ll" in program ? await givenIr(program.ll) : await linkedIr(program, work);
      const totals = new Map<string, { evals: number; ms: number; cpuMs: number; results: WorkerResult[] }>();
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? trees : [...trees].reverse();
        for (const tree of order) {
          // This tree gets an inert variable of the same size: opt's output for some plans
          // depends on the size of its environment (the stack's addresses), even under setarch -R.
          const extra = program.libs.map((l) => `+-l${l}`).join(" ");
          const env: Record<string, string> = program.libs.length === 0 ? {} : tree.dist === DIST ? { CCC_OVERRIDE_OPTIONX: extra } : { CCC_OVERRIDE_OPTIONS: extra };
          const r = await runWorker(tree.dist, file, plansFile, objective, concurrency, env);
          const t = totals.get(tree.name) ?? { evals: 0, ms: 0, cpuMs: 0, results: [] };
          t.evals += r.evalMs.length;
          t.ms += r.wallMs;
          t.cpuMs += r.cpuMs;
          t.results.push(r);
          totals.set(tree.name, t);
          const outcomes = Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(", ");
          lines.push(`| ${program.name} | ${instructions} | ${tree.name} | ${round + 1} | ${r.evalMs.length} | ${outcomes} | ${(r.wallMs / 1000).toFixed(1)} | ${(r.firstMs / 1000).toFixed(2)} | ${(1000 * r.evalMs.length / r.wallMs).toFixed(3)} | ${(r.cpuMs / 1000 / r.evalMs.length).toFixed(2)} |`);
          process.stderr.write(`${lines.at(-1)}\n`);
        }
      }
      // Every run must give every plan the same outcome, metric and output digest.
      const reference = totals.get("this tree")!.results[0]!.results;
      const differing = [...totals.values()].flatMap((t) => t.results).flatMap((r) => r.results.map((x, i) => (x === reference[i] ? -1 : i))).filter((i) => i >= 0);
      const agreement = differing.length === 0
        ? `every run gave every plan the same outcome, metric and output digest`
        : `RUNS DISAGREE on plans ${[...new Set(differing)].join(", ")}: ${[...new Set([...totals.values()].flatMap((t) => t.results).map((r) => r.results[differing[0]!]))].join(" <> ")}`;
      const rate = (name: string): number => { const t = totals.get(name)!; return (1000 * t.evals) / t.ms; };
      const cpu = (name: string): number => { const t = totals.get(name)!; return t.cpuMs / 1000 / t.evals; };
      const here = rate("this tree");
      const parts = [`${program.name} (${instructions} instructions): this tree ${here.toFixed(3)} evaluations/s, ${cpu("this tree").toFixed(2)} CPU s/evaluation`];
      if (trees.length > 1) {
        const other = trees[0]!.name;
        parts.push(`${other} ${rate(other).toFixed(3)} evaluations/s, ${cpu(other).toFixed(2)} CPU s/evaluation`);
        parts.push(`ratio ${(here / rate(other)).toFixed(2)}× (evaluations/s), ${(cpu(other) / cpu("this tree")).toFixed(2)}× (CPU per evaluation)`);
      }
      summary.push(`${parts.join("; ")}; ${agreement}`);
      const failures = [...new Set(reference.filter((x) => !x.startsWith("verified")).map((x) => x.replace(/ \d+ [0-9a-f]{64}$/, "")))];
      if (failures.length > 0) summary.push(`  not verified (${reference.length - reference.filter((x) => x.startsWith("verified")).length}): ${failures.join(" | ")}`);
      if (values.profile) {
        for (const tree of trees) summary.push(profileTable(`${program.name}, ${tree.name}`, totals.get(tree.name)!.results));
      }
    }
    process.stdout.write(`${lines.join("\n")}\n\n${summary.join("\n")}\n\n${n} evaluations per run, objective ${objective}, concurrency ${concurrency} (one process, one verifier cache), plans: default<Oz> + 0..${values["max-moves"]} random moves (seed ${values.seed})\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Mean ms per evaluation of each tool (and the main thread's busy time), over the runs. */
function profileTable(title: string, results: readonly WorkerResult[]): string {
  const evals = results.reduce((a, r) => a + r.evalMs.length, 0);
  const tools = new Map<string, { count: number; ms: number }>();
  for (const r of results) {
    for (const [k, v] of Object.entries(r.tools)) {
      const t = tools.get(k) ?? { count: 0, ms: 0 };
      t.count += v.count;
      t.ms += v.ms;
      tools.set(k, t);
    }
  }
  const rows = [...tools].sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => `| ${k} | ${(v.count / evals).toFixed(2)} | ${(v.ms / evals).toFixed(0)} |`);
  const busy = results.reduce((a, r) => a + r.busyMs, 0) / evals;
  const wall = results.reduce((a, r) => a + r.wallMs, 0) / evals;
  return [`\n${title}: per evaluation (wall ${wall.toFixed(0)} ms at the run's concurrency)`, "| tool | runs | ms |", "|---|---:|---:|", ...rows, `| (node main thread busy) | | ${busy.toFixed(0)} |`].join("\n");
}

/** The program's sources compiled like `compileCToIr` (per unit, with its -I/-D), linked, with its libraries recorded. */
async function linkedIr(program: RealProgram, work: string): Promise<{ file: string; instructions: number }> {
  const { CLANG_IR_FLAGS } = await import(`${DIST}/src/adapters/llvm/compile-c-to-ir.js`) as { CLANG_IR_FLAGS: readonly string[] };
  const { withDependentLibraries } = await import(`${DIST}/src/adapters/llvm/dependent-libraries.js`) as typeof import("../../src/adapters/llvm/dependent-libraries.js");
  const { countInstructions } = await import(`${DIST}/src/adapters/llvm/inst-count-features.js`) as typeof import("../../src/adapters/llvm/inst-count-features.js");
  const { readLlvmIr } = await import(`${DIST}/src/adapters/llvm/read-llvm-ir.js`) as typeof import("../../src/adapters/llvm/read-llvm-ir.js");
  const flags = [...program.includeDirs.map((d) => `-I${d}`), ...program.defines.map((d) => `-D${d}`)];
  const units = program.sources.map((source, i) => {
    const out = join(work, `${program.name}-${i}.ll`);
    execFileSync("clang", [...CLANG_IR_FLAGS, ...flags, basename(source), "-o", out], { cwd: dirname(source), stdio: ["ignore", "ignore", "inherit"] });
    return out;
  });
  const linked = execFileSync("llvm-link", ["-S", ...units], { encoding: "utf8", maxBuffer: 1 << 30 });
  const text = withDependentLibraries(linked, program.libs);
  const file = join(work, `${program.name}.ll`);
  writeFileSync(file, text);
  return { file, instructions: countInstructions(readLlvmIr(text)) };
}

/** A module given with `--ll`, as it is. */
async function givenIr(file: string): Promise<{ file: string; instructions: number }> {
  const { countInstructions } = await import(`${DIST}/src/adapters/llvm/inst-count-features.js`) as typeof import("../../src/adapters/llvm/inst-count-features.js");
  const { readLlvmIr } = await import(`${DIST}/src/adapters/llvm/read-llvm-ir.js`) as typeof import("../../src/adapters/llvm/read-llvm-ir.js");
  return { file: resolve(file), instructions: countInstructions(readLlvmIr(readFileSync(file, "utf8"))) };
}

async function dependentLibraries(file: string): Promise<string[]> {
  const { readDependentLibraries } = await import(`${DIST}/src/adapters/llvm/dependent-libraries.js`) as typeof import("../../src/adapters/llvm/dependent-libraries.js");
  return readDependentLibraries(readFileSync(file, "utf8"));
}

/** The random strategy's plans on the LLVM search space: `default<Oz>` alone first, then with 1..maxMoves moves. */
async function randomPlans(n: number, maxMoves: number, seed: number): Promise<Plan[]> {
  const { LlvmToolchain } = await import(`${DIST}/src/adapters/llvm/llvm-toolchain.js`) as typeof import("../../src/adapters/llvm/llvm-toolchain.js");
  const { RandomSearch } = await import(`${DIST}/src/client/orchestrator/random-search.js`) as typeof import("../../src/client/orchestrator/random-search.js");
  const toolchain = new LlvmToolchain();
  const space = toolchain.searchSpace(await toolchain.catalog(), "ir-instcount", 1 + maxMoves);
  return new RandomSearch(space, seed).next([], n);
}

function runWorker(dist: string, ir: string, plans: string, objective: string, concurrency: number, env: Record<string, string>): Promise<WorkerResult> {
  const args = [fileURLToPath(import.meta.url), "--worker", "--tree", dist, "--ir", ir, "--plans", plans, "--objective", objective, "--concurrency", String(concurrency)];
  return new Promise((resolvePromise, reject) => {
    const child: ChildProcess = spawnChild(process.execPath, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    const out: Buffer[] = [];
    child.stdout!.on("data", (c: Buffer) => out.push(c));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`worker on ${dist} exited ${code}`));
      else resolvePromise(JSON.parse(Buffer.concat(out).toString("utf8")) as WorkerResult);
    });
  });
}

/** One adapter's job work on one tree: every plan evaluated and verified, `concurrency` at a time. */
async function worker(): Promise<void> {
  const tools: Record<string, { count: number; ms: number }> = {};
  const cjs = createRequire(import.meta.url)("node:child_process") as { spawn: typeof childProcess.spawn };
  const original = cjs.spawn;
  const patched = ((file: string, args: readonly string[], options: object) => {
    const child = original(file, args as string[], options);
    const started = performance.now();
    const label = toolLabel(file, args ?? []);
    child.on("close", () => {
      const t = (tools[label] ??= { count: 0, ms: 0 });
      t.count++;
      t.ms += performance.now() - started;
    });
    return child;
  }) as typeof childProcess.spawn;
  cjs.spawn = patched;
  syncBuiltinESMExports();

  const dist = values.tree!;
  const { LlvmToolchain } = await import(`${dist}/src/adapters/llvm/llvm-toolchain.js`) as typeof import("../../src/adapters/llvm/llvm-toolchain.js");
  const { verifyEvaluation } = await import(`${dist}/src/adapters/framework/verify-evaluation.js`) as typeof import("../../src/adapters/framework/verify-evaluation.js");
  const plans = JSON.parse(readFileSync(values.plans!, "utf8")) as Plan[];
  const objective = values.objective as "ir-instcount" | "text-size";
  const toolchain = new LlvmToolchain();
  const info = await toolchain.info();
  await toolchain.catalog();
  for (const k of Object.keys(tools)) delete tools[k];
  const input = { format: "llvm-ir" as const, bytes: readFileSync(values.ir!) };
  const cache = new Map<string, unknown>();
  const outcomes: Record<string, number> = {};
  const evalMs: number[] = [];
  const results: string[] = [];
  const elu = performance.eventLoopUtilization();
  const cpu0 = cpuMs();
  const started = performance.now();
  let firstMs = 0;
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < plans.length) {
      const index = next++;
      const plan = plans[index]!;
      const t0 = performance.now();
      let outcome = "verified";
      let measuredText = "";
      try {
        const measured = await toolchain.evaluate(input, plan, objective, { timeoutMs: 120_000 });
        measuredText = ` ${measured.value} ${measured.outputDigest}`;
        await verifyEvaluation(info, toolchain, input, plan, objective, measured, "bench", cache);
      } catch (err) {
        const e = err as { code?: string; message?: string };
        outcome = `${e.code ?? "error"}: ${(e.message ?? "").replace(/\/tmp\/\S+/g, "…").slice(0, 160)}`;
        if (e.code === undefined || e.code === "internal") process.stderr.write(`worker: ${String(err)}\n`);
        if (e.code === "verification_failed" && process.env["EVAL_COST_VERBOSE"]) process.stderr.write(`worker: ${e.message} ${(err as { detail?: string }).detail ?? ""}\n`);
      }
      const ms = performance.now() - t0;
      if (evalMs.length === 0) firstMs = ms;
      evalMs.push(ms);
      results[index] = `${outcome}${measuredText}`;
      const kind = outcome.split(":")[0]!;
      outcomes[kind] = (outcomes[kind] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Number(values.concurrency) }, one));
  const wallMs = performance.now() - started;
  const busyMs = performance.eventLoopUtilization(elu).active;
  const cpu = cpuMs() - cpu0;
  await toolchain.close();
  const result: WorkerResult = { wallMs, firstMs, outcomes, evalMs, tools, busyMs, cpuMs: cpu, results };
  process.stdout.write(JSON.stringify(result));
}

/**
 * CPU milliseconds of this process and of its waited-for children (and theirs):
 * utime + stime + cutime + cstime of `/proc/self/stat`, in clock ticks of 10 ms.
 */
function cpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): utime, stime, cutime, cstime are fields 14..17.
  return [11, 12, 13, 14].reduce((a, i) => a + Number(fields[i]), 0) * 10;
}

/** `opt -passes=verify`, `opt (plan)`, `llc`, `clang -c`, `clang link`, `program run`, … */
function toolLabel(file: string, args: readonly string[]): string {
  let name = basename(file);
  let rest = [...args];
  if (name === "unshare" || name === "prlimit") return "program run (unshare/prlimit/setarch)";
  if (name === "setarch") {
    name = basename(rest[2] ?? "?");
    rest = rest.slice(3);
  }
  if (name === "opt") {
    if (rest.includes("-passes=verify")) return "opt -passes=verify";
    if (rest.some((a) => a.startsWith("-passes="))) return "opt (plan)";
    return `opt ${rest[0] ?? ""}`;
  }
  if (name.startsWith("clang")) {
    if (rest.some((a) => a.startsWith("-fsanitize"))) return "clang UBSan build";
    if (rest.includes("-c")) return "clang -c";
    if (rest.some((a) => a.endsWith(".ll") || a.endsWith(".bc"))) return "clang build (.ll → exe)";
    return "clang link";
  }
  return name;
}

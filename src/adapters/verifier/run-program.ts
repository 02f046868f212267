import { execFileSync } from "node:child_process";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { machine } from "node:os";
import { basename, join } from "node:path";
import { findExecutable, runTool } from "../framework/run-tool.js";
import { withWorkDir } from "../framework/work-dir.js";
import { contentId } from "../../kernel/codec/index.js";
import { isOpmError, OpmError } from "../../kernel/errors/index.js";
import { DEFAULT_COMPARE, type RunOutput, type RunSpec } from "../../kernel/plan/index.js";
import type { RunLimits } from "./verdict.js";

/** What one run of a program did, as far as an observer can tell. */
export interface ProgramRun {
  exitCode: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: Buffer;
  /** Files in the run's working directory afterwards: name → SHA-256 hex. */
  files: Map<string, string>;
  /** Set when a limit ended the run: wall clock, stdout cap, CPU (SIGXCPU/SIGKILL). */
  limit?: "wall" | "output" | "cpu";
}

export const DEFAULT_LIMITS: Required<RunLimits> = {
  cpuSeconds: 10,
  memoryBytes: 1024 * 1024 * 1024,
  outputBytes: 16 * 1024 * 1024,
  wallMs: 30_000,
};

let isolation: { prefix: string[]; how: string } | undefined;

/**
 * How programs are cut off from the network: `unshare -n` (a new, empty network
 * namespace) as root, `unshare -r -n` (inside a user namespace) otherwise; when
 * neither works the runs are not isolated and `how` says so.
 */
export function networkIsolation(): { prefix: string[]; how: string } {
  if (isolation) return isolation;
  const unshare = findExecutable("unshare");
  for (const flags of [["-n"], ["-r", "-n"]]) {
    if (unshare === undefined) break;
    try {
      execFileSync(unshare, [...flags, "true"], { stdio: "ignore", timeout: 5000 });
      isolation = { prefix: [unshare, ...flags, "--"], how: `no network (unshare ${flags.join(" ")})` };
      return isolation;
    } catch {
      // try the next way
    }
  }
  isolation = { prefix: [], how: "network NOT isolated (unshare unavailable)" };
  return isolation;
}

/**
 * Runs `exe` in a fresh temporary working directory under `prlimit` (CPU seconds,
 * address space, largest file) and `setarch -R` (no ASLR, so runs repeat), without
 * network (`networkIsolation`), with a wall-clock limit and a stdout cap. With a `run`,
 * its files lie in the working directory, its arguments follow argv[0], its stdin is
 * piped and its environment is added to the fixed `LC_ALL=C`; without one the program
 * runs with no arguments and empty stdin. Never throws for what the program does;
 * throws `tool_missing` when `prlimit`/`setarch` are absent.
 */
export async function runProgram(exe: string, run: RunSpec | undefined, limits: RunLimits = {}, env: Record<string, string> = {}): Promise<ProgramRun> {
  const l = { ...DEFAULT_LIMITS, ...limits };
  const prlimit = findExecutable("prlimit");
  const setarch = findExecutable("setarch");
  if (prlimit === undefined || setarch === undefined) {
    throw new OpmError("tool_missing", "`prlimit` and `setarch` are needed to run programs under limits; install the Debian package `util-linux`");
  }
  return withWorkDir("opm-run-", async (cwd) => {
    for (const f of run?.files ?? []) await writeFile(join(cwd, f.name), f.contents);
    const args = run?.args ?? [];
    const stdin = run !== undefined && run.stdin.length > 0 ? Buffer.from(run.stdin) : undefined;
    const [head, ...prefix] = [
      ...networkIsolation().prefix,
      prlimit, `--cpu=${l.cpuSeconds}`, `--as=${l.memoryBytes}`, `--fsize=${l.outputBytes}`, "--core=0", "--",
      setarch, machine(), "-R", exe, ...args,
    ];
    let result: ProgramRun;
    try {
      const r = await runTool(head!, prefix, {
        cwd, timeoutMs: l.wallMs, maxOutputBytes: l.outputBytes, env: { ...run?.env, ...env, LC_ALL: "C" }, ...(stdin ? { stdin } : {}),
      });
      result = { exitCode: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr, files: new Map() };
      if (r.signal === "SIGXCPU" || (r.signal === "SIGKILL" && r.elapsedMs < l.wallMs)) result.limit = "cpu";
    } catch (err) {
      if (isOpmError(err, "deadline_exceeded")) result = { exitCode: null, signal: "SIGKILL", stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), files: new Map(), limit: "wall" };
      else if (isOpmError(err, "resource_exhausted")) result = { exitCode: null, signal: "SIGKILL", stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), files: new Map(), limit: "output" };
      else throw err;
    }
    // Names as bytes: a program may write a file whose name is not UTF-8.
    const cwdBytes = Buffer.from(cwd);
    for (const name of (await readdir(cwd, { encoding: "buffer" })).sort(Buffer.compare)) {
      const path = Buffer.concat([cwdBytes, Buffer.from("/"), name]);
      const shown = name.toString("utf8") === name.toString("latin1") || Buffer.from(name.toString("utf8")).equals(name) ? name.toString("utf8") : `hex:${name.toString("hex")}`;
      if ((await stat(path)).isFile()) result.files.set(shown, contentId(await readFile(path)));
    }
    return result;
  });
}

/** `exit 3`, `signal SIGSEGV`, `wall-clock limit`, … */
export function describeStatus(run: ProgramRun): string {
  if (run.limit === "wall") return "killed at the wall-clock limit";
  if (run.limit === "output") return "killed at the output limit";
  if (run.limit === "cpu") return "killed at the CPU limit";
  return run.signal !== null ? `signal ${run.signal}` : `exit ${run.exitCode}`;
}

/**
 * The run an input file stands for (`opm verify --inputs F`, the benchmarks): a copy of
 * F in the working directory, its name as argv[1], its bytes on stdin.
 */
export async function runOfInputFile(path: string): Promise<RunSpec> {
  const contents = await readFile(path);
  const name = basename(path);
  return { name, args: [name], stdin: contents, files: [{ name, contents }], env: {}, compare: DEFAULT_COMPARE };
}

/**
 * The first observable difference between two runs among `compare` (exit status,
 * stdout, stderr, files in the working directory), as a sentence; `undefined` when they
 * agree. A limit hit is an exit status and always compared.
 */
export function compareRuns(reference: ProgramRun, candidate: ProgramRun, compare: readonly RunOutput[] = DEFAULT_COMPARE): string | undefined {
  const [rs, cs] = [describeStatus(reference), describeStatus(candidate)];
  if (rs !== cs && (compare.includes("exit") || reference.limit !== undefined || candidate.limit !== undefined)) return `exit status: reference ${rs}, transformed ${cs}`;
  for (const stream of ["stdout", "stderr"] as const) {
    if (compare.includes(stream) && !reference[stream].equals(candidate[stream])) return streamDifference(stream, reference[stream], candidate[stream]);
  }
  if (!compare.includes("files")) return undefined;
  const names = new Set([...reference.files.keys(), ...candidate.files.keys()]);
  for (const name of [...names].sort()) {
    const [r, c] = [reference.files.get(name), candidate.files.get(name)];
    if (r !== c) return `output file ${JSON.stringify(name)}: ${r === undefined ? "only the transformed program wrote it" : c === undefined ? "only the reference wrote it" : "contents differ"}`;
  }
  return undefined;
}

function streamDifference(stream: string, reference: Buffer, candidate: Buffer): string {
  const n = Math.min(reference.length, candidate.length);
  let at = 0;
  while (at < n && reference[at] === candidate[at]) at++;
  const lineNo = reference.subarray(0, at).toString("latin1").split("\n").length;
  const line = (b: Buffer): string => JSON.stringify(b.toString("utf8").split("\n")[lineNo - 1]?.slice(0, 100) ?? "");
  return `${stream} differs from byte ${at} (line ${lineNo}): reference ${line(reference)}, transformed ${line(candidate)}`;
}

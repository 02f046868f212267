import { create, fromBinary } from "@bufbuild/protobuf";
import { canonicalBytes, contentId } from "../codec/index.js";
import { invalidArgument } from "../errors/index.js";
import { RunSetSchema, type RunSet } from "../../gen/openpassmarket/v1/problem_pb.js";

/** Outputs of a run the semantics layer can compare. */
export const RUN_OUTPUTS = ["exit", "files", "stderr", "stdout"] as const;
export type RunOutput = (typeof RUN_OUTPUTS)[number];

/** What a run compares when its specification does not say: everything but stderr (messages may name temporary paths). */
export const DEFAULT_COMPARE: readonly RunOutput[] = ["exit", "files", "stdout"];

/**
 * One of the participant's runs of their program — a test case the verifier's semantics
 * layer executes on the reference and on the transformed program, comparing `compare`.
 */
export interface RunSpec {
  /** Unique within the set; names the run in evidence. */
  name: string;
  /** Arguments after argv[0]. */
  args: readonly string[];
  stdin: Uint8Array;
  /** Files in the run's working directory before it starts. */
  files: readonly { name: string; contents: Uint8Array }[];
  /** Environment besides the fixed `LC_ALL=C`. */
  env: Readonly<Record<string, string>>;
  compare: readonly RunOutput[];
}

/** Limits on a run set: what an adapter accepts to store and execute for someone. */
export const RUN_SET_LIMITS = { runs: 64, args: 256, argBytes: 4096, files: 64, totalBytes: 64 * 1024 * 1024 } as const;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Checks a run set and returns it sorted as its canonical form requires; throws
 * invalid_argument naming the run and what is wrong. Refused: duplicate or unsafe names,
 * file names that are paths (`/`, `.`, `..`), `LD_*` environment (a run executes the
 * program, not code of the caller's choice), unknown outputs, sets beyond `RUN_SET_LIMITS`.
 */
export function validateRuns(runs: readonly RunSpec[], field = "runs"): RunSpec[] {
  if (runs.length > RUN_SET_LIMITS.runs) throw invalidArgument(field, `${runs.length} runs; at most ${RUN_SET_LIMITS.runs}`);
  const seen = new Set<string>();
  let total = 0;
  const sorted = [...runs].sort((a, b) => compareText(a.name, b.name)).map((run) => {
    const at = `${field}[${JSON.stringify(run.name)}]`;
    if (!NAME.test(run.name)) throw invalidArgument(field, `run name ${JSON.stringify(run.name)}: use letters, digits, '.', '_', '+', '-' (at most 128)`);
    if (seen.has(run.name)) throw invalidArgument(field, `two runs are named ${JSON.stringify(run.name)}`);
    seen.add(run.name);
    if (run.args.length > RUN_SET_LIMITS.args) throw invalidArgument(at, `${run.args.length} arguments; at most ${RUN_SET_LIMITS.args}`);
    for (const arg of run.args) {
      if (arg.includes("\0") || Buffer.byteLength(arg) > RUN_SET_LIMITS.argBytes) throw invalidArgument(at, `argument ${JSON.stringify(arg.slice(0, 40))}: no NUL, at most ${RUN_SET_LIMITS.argBytes} bytes`);
    }
    if (run.files.length > RUN_SET_LIMITS.files) throw invalidArgument(at, `${run.files.length} files; at most ${RUN_SET_LIMITS.files}`);
    const names = new Set<string>();
    for (const f of run.files) {
      if (!NAME.test(f.name)) throw invalidArgument(at, `file name ${JSON.stringify(f.name)} must be a plain name (letters, digits, '.', '_', '+', '-'; no '/', not starting with '.')`);
      if (names.has(f.name)) throw invalidArgument(at, `two files are named ${JSON.stringify(f.name)}`);
      names.add(f.name);
      total += f.contents.length;
    }
    for (const [name, value] of Object.entries(run.env)) {
      if (!ENV_NAME.test(name) || name.startsWith("LD_") || name === "LC_ALL") throw invalidArgument(at, `environment variable ${JSON.stringify(name)} is not allowed (a name like FOO_BAR; not LD_* or LC_ALL)`);
      if (value.includes("\0")) throw invalidArgument(at, `environment variable ${name}: no NUL in its value`);
    }
    const compare = [...new Set(run.compare)].sort();
    if (compare.length === 0) throw invalidArgument(at, `compares no output; choose from ${RUN_OUTPUTS.join(", ")}`);
    for (const c of compare) if (!(RUN_OUTPUTS as readonly string[]).includes(c)) throw invalidArgument(at, `unknown output ${JSON.stringify(c)}; choose from ${RUN_OUTPUTS.join(", ")}`);
    total += run.stdin.length;
    return {
      name: run.name, args: [...run.args], stdin: run.stdin,
      files: [...run.files].sort((a, b) => compareText(a.name, b.name)),
      env: Object.fromEntries(Object.entries(run.env).sort(([a], [b]) => compareText(a, b))),
      compare,
    };
  });
  if (total > RUN_SET_LIMITS.totalBytes) throw invalidArgument(field, `${total} bytes of inputs; at most ${RUN_SET_LIMITS.totalBytes}`);
  return sorted;
}

/** The run set as its protobuf message (validated and sorted). */
export function runSetToProto(runs: readonly RunSpec[]): RunSet {
  return create(RunSetSchema, {
    runs: validateRuns(runs).map((r) => ({
      name: r.name, args: [...r.args], stdin: r.stdin,
      files: r.files.map((f) => ({ name: f.name, contents: f.contents })),
      env: Object.entries(r.env).map(([name, value]) => ({ name, value })),
      compare: [...r.compare],
    })),
  });
}

/** The run set of a message, validated; throws invalid_argument for a set `validateRuns` refuses or that is not canonical. */
export function runSetFromProto(set: RunSet, field = "runs"): RunSpec[] {
  const runs = set.runs.map((r) => ({
    name: r.name, args: r.args, stdin: r.stdin,
    files: r.files.map((f) => ({ name: f.name, contents: f.contents })),
    env: Object.fromEntries(r.env.map((e) => [e.name, e.value])),
    compare: r.compare as RunOutput[],
  }));
  if (new Set(set.runs.flatMap((r) => r.env.map((e) => `${r.name}\0${e.name}`))).size !== set.runs.reduce((n, r) => n + r.env.length, 0)) {
    throw invalidArgument(field, "an environment variable is given twice in one run");
  }
  const valid = validateRuns(runs, field);
  if (contentId(canonicalBytes(RunSetSchema, runSetToProto(valid))) !== contentId(canonicalBytes(RunSetSchema, set))) {
    throw invalidArgument(field, "runs, their files, environment and outputs must be sorted by name, each once");
  }
  return valid;
}

/** The canonical bytes of a run set (what `runs_digest` is the SHA-256 of, and what a participant's store keeps). */
export function runSetBytes(runs: readonly RunSpec[]): Uint8Array {
  return canonicalBytes(RunSetSchema, runSetToProto(runs));
}

/** Reads canonical run-set bytes (a store's, a job's); throws invalid_argument when they are not a valid, canonical set. */
export function runSetFromBytes(bytes: Uint8Array, field = "runs"): RunSpec[] {
  let set: RunSet;
  try {
    set = fromBinary(RunSetSchema, bytes);
  } catch (err) {
    throw invalidArgument(field, `not a RunSet message: ${(err as Error).message}`);
  }
  return runSetFromProto(set, field);
}

/** SHA-256 hex of the run set's canonical bytes; "" for no runs. */
export function runSetDigest(runs: readonly RunSpec[]): string {
  return runs.length === 0 ? "" : contentId(runSetBytes(runs));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { splitCommand } from "../adapters/framework/program-source.js";
import { OpmError } from "../kernel/errors/index.js";
import { DEFAULT_COMPARE, RUN_OUTPUTS, validateRuns, type RunOutput, type RunSpec } from "../kernel/plan/index.js";
import type { ParsedArgs } from "./args.js";
import { stringFlag } from "./args.js";

/** The flags that describe a program's runs (`opm optimize`, `opm verify`). */
export const RUN_FLAGS = {
  run: { type: "string", multiple: true }, input: { type: "string", multiple: true }, stdin: { type: "string" },
  runs: { type: "string" }, compare: { type: "string" },
} as const;

export const RUN_HELP = [
  "  --run 'ARGS'       one run of the program with these arguments (repeatable; quoted like a shell command)",
  "  --input FILE       a file every --run finds in its working directory, by its name (repeatable)",
  "  --stdin FILE       what every --run reads on stdin (default: nothing)",
  `  --compare LIST     outputs every --run compares: ${RUN_OUTPUTS.join(",")} (default ${DEFAULT_COMPARE.join(",")})`,
  "  --runs FILE.json   runs as a file: {\"runs\": [{\"name\", \"args\": [], \"stdin\": PATH, \"files\": [PATH], \"env\": {}, \"compare\": []}]},",
  "                     paths relative to the file; the verifier passes a transform only if the runs agree and enter",
  "                     every function it changed",
];

/**
 * The runs the flags describe: one per `--run` (named `run-1`, `run-2`, … with every
 * `--input` file, `--stdin` and `--compare`), then those of `--runs FILE`. Throws
 * invalid_argument naming the flag for a missing file or an invalid run.
 */
export function readRunOptions(args: ParsedArgs): RunSpec[] {
  const fileAt = (flag: string, path: string, base = process.cwd()): { name: string; contents: Uint8Array } => {
    const full = resolve(base, path);
    if (!existsSync(full)) throw new OpmError("invalid_argument", `${flag}: ${full} does not exist`);
    return { name: basename(full), contents: readFileSync(full) };
  };
  const commands = (args.values["run"] as string[] | undefined) ?? [];
  const inputs = ((args.values["input"] as string[] | undefined) ?? []).map((p) => fileAt("--input", p));
  const stdinPath = stringFlag(args, "stdin");
  const stdin = stdinPath === undefined ? new Uint8Array() : fileAt("--stdin", stdinPath).contents;
  const compare = parseCompare(stringFlag(args, "compare"), "--compare");
  if (commands.length === 0 && (inputs.length > 0 || stdinPath !== undefined || stringFlag(args, "compare") !== undefined)) {
    throw new OpmError("invalid_argument", "--input, --stdin and --compare describe --run runs; add --run 'ARGS' (or use --runs FILE)");
  }
  const runs: RunSpec[] = commands.map((command, i) => ({
    name: `run-${i + 1}`, args: splitCommand(command, "--run"), stdin, files: inputs, env: {}, compare,
  }));
  const runFile = stringFlag(args, "runs");
  if (runFile !== undefined) runs.push(...readRunFile(resolve(runFile)));
  return validateRuns(runs, "--run/--runs");
}

/** The runs of a `--runs` file. */
function readRunFile(path: string): RunSpec[] {
  if (!existsSync(path)) throw new OpmError("invalid_argument", `--runs: ${path} does not exist`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new OpmError("invalid_argument", `--runs: ${path} is not JSON: ${(err as Error).message}`);
  }
  const list = (doc as { runs?: unknown })?.runs;
  if (!Array.isArray(list)) throw new OpmError("invalid_argument", `--runs: ${path} must be {"runs": [ … ]}`);
  const base = dirname(path);
  return list.map((entry: unknown, i) => {
    const at = `--runs ${basename(path)} runs[${i}]`;
    if (typeof entry !== "object" || entry === null) throw new OpmError("invalid_argument", `${at}: not an object`);
    const e = entry as Record<string, unknown>;
    const known = new Set(["name", "args", "stdin", "files", "env", "compare"]);
    const unknown = Object.keys(e).find((k) => !known.has(k));
    if (unknown !== undefined) throw new OpmError("invalid_argument", `${at}: unknown field ${JSON.stringify(unknown)} (fields: ${[...known].join(", ")})`);
    const strings = (v: unknown, field: string): string[] => {
      if (v === undefined) return [];
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new OpmError("invalid_argument", `${at}.${field}: a list of strings`);
      return v as string[];
    };
    const read = (p: string, field: string): { name: string; contents: Uint8Array } => {
      const full = resolve(base, p);
      if (!existsSync(full)) throw new OpmError("invalid_argument", `${at}.${field}: ${full} does not exist`);
      return { name: basename(full), contents: readFileSync(full) };
    };
    if (e["stdin"] !== undefined && typeof e["stdin"] !== "string") throw new OpmError("invalid_argument", `${at}.stdin: a path`);
    const env = e["env"] ?? {};
    if (typeof env !== "object" || env === null || Object.values(env).some((v) => typeof v !== "string")) {
      throw new OpmError("invalid_argument", `${at}.env: an object of strings`);
    }
    return {
      name: typeof e["name"] === "string" ? e["name"] : `${basename(path, ".json")}-${i + 1}`,
      args: strings(e["args"], "args"),
      stdin: e["stdin"] === undefined ? new Uint8Array() : read(e["stdin"] as string, "stdin").contents,
      files: strings(e["files"], "files").map((p) => read(p, "files")),
      env: env as Record<string, string>,
      compare: e["compare"] === undefined ? DEFAULT_COMPARE : parseCompare(strings(e["compare"], "compare").join(","), `${at}.compare`),
    };
  });
}

function parseCompare(text: string | undefined, flag: string): RunOutput[] {
  if (text === undefined) return [...DEFAULT_COMPARE];
  const outputs = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const o of outputs) {
    if (!(RUN_OUTPUTS as readonly string[]).includes(o)) throw new OpmError("invalid_argument", `${flag}: unknown output ${JSON.stringify(o)}; choose from ${RUN_OUTPUTS.join(", ")}`);
  }
  return outputs as RunOutput[];
}

import { parseArgs, type ParseArgsConfig } from "node:util";
import { OpmError } from "../kernel/errors/index.js";

/** Parsed flags and positionals of one command. */
export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/**
 * Parses `argv` strictly against `options` (plus `--json`); an unknown flag, a missing
 * value or a value given to a switch is an invalid_argument error saying so, with the
 * nearest known flag when one is a likely typo.
 */
export function parseCommandArgs(argv: string[], options: NonNullable<ParseArgsConfig["options"]>): ParsedArgs {
  const all = { json: { type: "boolean" as const }, ...options };
  try {
    const { values, positionals } = parseArgs({ args: argv, options: all, allowPositionals: true, strict: true });
    return { values: values as ParsedArgs["values"], positionals };
  } catch (err) {
    throw new OpmError("invalid_argument", flagErrorMessage(err as Error & { code?: string }, Object.keys(all)));
  }
}

/** `parseArgs`'s error in the CLI's words. */
function flagErrorMessage(err: Error & { code?: string }, known: readonly string[]): string {
  const unknown = /^Unknown option '([^']+)'/.exec(err.message)?.[1];
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && unknown !== undefined) {
    const near = nearestFlag(unknown.replace(/^-+/, "").split("=")[0]!, known);
    return `unknown flag ${unknown}${near === undefined ? "" : ` (did you mean --${near}?)`}`;
  }
  const option = /^Option '(-[^' ]+)/.exec(err.message)?.[1];
  if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option !== undefined) {
    return err.message.includes("argument missing") ? `${option} needs a value` : `${option} takes no value`;
  }
  return err.message;
}

/** The known flag within edit distance 2 of `name` (the closest), if any. */
function nearestFlag(name: string, known: readonly string[]): string | undefined {
  let best: { flag: string; d: number } | undefined;
  for (const flag of known) {
    const d = editDistance(name, flag);
    if (d <= 2 && (best === undefined || d < best.d)) best = { flag, d };
  }
  return best?.flag;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** The string value of `--name`, or throws invalid_argument when it is required and absent. */
export function stringFlag(args: ParsedArgs, name: string, required: true): string;
export function stringFlag(args: ParsedArgs, name: string, required?: false): string | undefined;
export function stringFlag(args: ParsedArgs, name: string, required = false): string | undefined {
  const v = args.values[name];
  if (typeof v === "string" && v !== "") return v;
  if (required) throw new OpmError("invalid_argument", `--${name} is required`);
  return undefined;
}

/** Splits `HOST:PORT` (IPv6 as `[::1]:PORT`); throws invalid_argument naming the flag. */
export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (m === null || port > 65535) throw new OpmError("invalid_argument", `--${flag}: ${JSON.stringify(text)} is not HOST:PORT`);
  return { host: m[1] ?? m[2] ?? "", port };
}

import { parseArgs, type ParseArgsConfig } from "node:util";
import { OpmError } from "../kernel/errors/index.js";

/** Parsed flags and positionals of one command. */
export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses `argv` strictly against `options`; unknown flags are invalid_argument errors. */
export function parseCommandArgs(argv: string[], options: NonNullable<ParseArgsConfig["options"]>): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { json: { type: "boolean" }, ...options }, allowPositionals: true, strict: true });
    return { values: values as ParsedArgs["values"], positionals };
  } catch (err) {
    throw new OpmError("invalid_argument", (err as Error).message);
  }
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

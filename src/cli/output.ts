/** How a command reports: one JSON document on stdout with --json, human text on stderr always. */
export interface Output {
  json: boolean;
  /** A human line on stderr. */
  say(line: string): void;
  /** The command's result: JSON on stdout with --json, else `human(result)` on stderr. */
  result(value: unknown, human?: (value: unknown) => string): void;
}

/** An Output for the given --json flag. */
export function createOutput(json: boolean): Output {
  return {
    json,
    say: (line) => process.stderr.write(`${line}\n`),
    result: (value, human) => {
      if (json) process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}\n`);
      else process.stderr.write(`${human ? human(value) : JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
    },
  };
}

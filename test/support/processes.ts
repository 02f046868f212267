import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** A tiny promise pool: `limit(fn)` runs fn once fewer than `max` are running. */
export function createLimiter(max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** True when `command` is an executable on PATH. */
export function onPath(command: string): boolean {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Runs `file args` (in `cwd`), resolving to its output; a failure throws with the command and its stderr. */
export async function run(file: string, args: readonly string[], timeout: number, cwd?: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(file, [...args], { timeout, cwd, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" });
  } catch (err) {
    const e = err as { message?: string; stderr?: string };
    throw new Error(`${file} ${args.join(" ")} failed: ${e.message ?? String(err)}\n${e.stderr ?? ""}`);
  }
}

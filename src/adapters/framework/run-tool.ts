import { spawn } from "node:child_process";
import { accessSync, constants as fsConstants, statSync } from "node:fs";
import { machine } from "node:os";
import { delimiter, isAbsolute, join } from "node:path";
import { performance } from "node:perf_hooks";
import { OpmError } from "../../kernel/errors/index.js";

export interface RunToolOptions {
  /** Bytes written to the tool's stdin (stdin is closed either way). */
  stdin?: Uint8Array | string;
  /** Wall-clock limit; on expiry the whole process group is SIGKILLed. Required. */
  timeoutMs: number;
  cwd?: string;
  /** Extra environment; merged over `process.env`. */
  env?: Record<string, string>;
  /**
   * Cap per stream (default 64 MiB). Stdout past the cap kills the tool and throws
   * `resource_exhausted`; stderr past the cap is cut (it is only diagnostics).
   */
  maxOutputBytes?: number;
  /**
   * Run under `setarch <arch> -R` so heap addresses (and pointer-keyed maps) repeat, in
   * `DETERMINISTIC_ENV` (plus `env`) rather than this process's environment: with ASLR
   * off, the environment's size still moves the stack, and some LLVM 14 passes' output
   * depends on it — two honest adapters with different environments would disagree.
   */
  deterministic?: boolean;
  /** Debian package named by the `tool_missing` error when `command` is not found. */
  missingPackage?: string;
}

export interface ToolResult {
  stdout: Buffer;
  stderr: Buffer;
  /** `null` when the process was ended by a signal. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  elapsedMs: number;
  /** True when stderr was cut at `maxOutputBytes`. */
  stderrTruncated: boolean;
}

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;

/** The whole environment of a deterministic tool run: the same bytes on every machine. */
export const DETERMINISTIC_ENV: Readonly<Record<string, string>> = { PATH: "/usr/local/bin:/usr/bin:/bin", LC_ALL: "C" };

/**
 * Runs `command args` without a shell and collects its output. A non-zero exit is
 * not an error here (callers judge exit codes); these are:
 * - the command (or `setarch`) is not installed → `tool_missing`;
 * - `timeoutMs` elapsed → the process group is SIGKILLed, `deadline_exceeded`;
 * - stdout exceeds `maxOutputBytes` → killed, `resource_exhausted`.
 * Requires `timeoutMs > 0`.
 */
export async function runTool(command: string, args: readonly string[], options: RunToolOptions): Promise<ToolResult> {
  if (!(options.timeoutMs > 0)) {
    throw new OpmError("internal", `runTool(${command}): timeoutMs must be > 0, got ${options.timeoutMs}`);
  }
  const maxOutput = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  let file = command;
  let argv = [...args];
  if (options.deterministic) {
    // setarch would report a missing tool as its own exit status 1; resolve first
    // so that the caller still gets `tool_missing` naming the right command.
    const resolved = findExecutable(command);
    if (resolved === undefined) throw toolMissing(command, options.missingPackage);
    const setarch = findExecutable("setarch");
    if (setarch === undefined) throw toolMissing("setarch", "util-linux");
    file = setarch;
    argv = [machine(), "-R", resolved, ...args];
  }

  const started = performance.now();
  return new Promise<ToolResult>((resolve, reject) => {
    const child = spawn(file, argv, {
      cwd: options.cwd,
      env: options.deterministic ? { ...DETERMINISTIC_ENV, ...options.env } : options.env ? { ...process.env, ...options.env } : process.env,
      stdio: ["pipe", "pipe", "pipe"],
      // Own process group, so that a kill also reaches children (gcc's cc1/as/ld).
      detached: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrBytes = 0;
    let stderrTruncated = false;
    let failure: OpmError | undefined;
    let settled = false;

    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      failure ??= new OpmError(
        "deadline_exceeded",
        `\`${command}\` did not finish within ${options.timeoutMs} ms and was killed`,
        { detail: clipLog(Buffer.concat(stderr)) },
      );
      killGroup();
    }, options.timeoutMs);

    child.stdout.on("data", (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxOutput) {
        failure ??= new OpmError(
          "resource_exhausted",
          `\`${command}\` wrote more than ${maxOutput} bytes to stdout and was killed`,
        );
        killGroup();
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      const room = maxOutput - stderrBytes;
      if (room <= 0) {
        stderrTruncated = true;
        return;
      }
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      if (kept.length < chunk.length) stderrTruncated = true;
      stderr.push(kept);
      stderrBytes += kept.length;
    });
    // A tool may exit without reading its stdin; EPIPE on our side is not an error.
    child.stdin.on("error", () => undefined);

    child.on("error", (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err.code === "ENOENT") reject(toolMissing(command, options.missingPackage, err));
      else reject(new OpmError("compiler_failed", `could not start \`${command}\`: ${err.message}`, { cause: err }));
    });
    child.on("close", (exitCode, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (failure) {
        reject(failure);
        return;
      }
      resolve({
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr),
        exitCode,
        signal,
        elapsedMs: performance.now() - started,
        stderrTruncated,
      });
    });

    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
  });
}

/**
 * The absolute path `name` resolves to: `name` itself when it contains a `/` and is
 * executable, else the first executable `dir/name` along `searchPath` (default
 * `$PATH`); `undefined` when there is none.
 */
export function findExecutable(name: string, searchPath: string = process.env["PATH"] ?? ""): string | undefined {
  if (name.includes("/")) return isExecutableFile(name) ? (isAbsolute(name) ? name : join(process.cwd(), name)) : undefined;
  for (const dir of searchPath.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function toolMissing(command: string, pkg: string | undefined, cause?: unknown): OpmError {
  const hint = pkg === undefined ? "" : ` (install the Debian package \`${pkg}\`)`;
  return new OpmError("tool_missing", `\`${command}\` is not installed or not on PATH${hint}`, { cause });
}

/**
 * A tool's stderr clipped to about `max` characters for an error's `detail`: the
 * first quarter (the first diagnostic) and the last three quarters (the stack dump
 * or final error), with the number of characters cut in between.
 */
export function clipLog(bytes: Uint8Array | string, max = 4000): string {
  const text = typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8");
  if (text.length <= max) return text;
  const head = Math.floor(max / 4);
  const rest = max - head;
  return `${text.slice(0, head)}\n…[${text.length - max} characters cut]…\n${text.slice(-rest)}`;
}

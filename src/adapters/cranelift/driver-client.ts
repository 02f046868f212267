import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { OpmError } from "../../kernel/errors/index.js";
import { clipLog, findExecutable } from "../framework/run-tool.js";
import { driverErrorToOpm } from "./driver-error.js";
import { DRIVER_PROTOCOL, type DriverErrorBody, type DriverOp, type DriverResponses } from "./driver-protocol.js";

/** Where `cargo build --release` puts the driver, relative to the repository root. */
export const DRIVER_RELATIVE_PATH = "src/adapters/cranelift/driver/target/release/opm-cranelift-driver";

/** The build instruction every `tool_missing` error for the driver carries. */
export const DRIVER_BUILD_HINT =
  "build it with `cargo build --release` in `src/adapters/cranelift/driver` (`bash scripts/setup.sh` does this too)";

/**
 * The driver binary to run: `$OPM_CRANELIFT_DRIVER` if set, else the release build
 * next to this module (`driver/target/release/…`), else the first ancestor
 * directory holding `DRIVER_RELATIVE_PATH` (for a compiled copy under `dist/`).
 * The path may not exist; the client reports that as `tool_missing`.
 */
export function defaultDriverPath(): string {
  const fromEnv = process.env["OPM_CRANELIFT_DRIVER"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, "driver", "target", "release", "opm-cranelift-driver");
  if (existsSync(beside)) return beside;
  for (let dir = here; ; ) {
    const candidate = join(dir, DRIVER_RELATIVE_PATH);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return beside;
    dir = parent;
  }
}

export interface DriverClientOptions {
  /** The driver binary; default `defaultDriverPath()`. */
  path?: string;
  /** Time limit of one request when the caller gives none; default 60 s. */
  timeoutMs?: number;
}

interface Pending {
  id: number;
  op: string;
  resolve: (body: Record<string, unknown>) => void;
  reject: (err: OpmError) => void;
}

/** Bytes of the driver's stderr kept for error messages. */
const STDERR_KEEP = 16_384;

/**
 * A long-lived `opm-cranelift-driver` process spoken to in JSON lines
 * (`driver/PROTOCOL.md`). The process starts on the first request and is kept;
 * requests run one at a time in call order, each with a numeric `id` that the
 * response must echo. A request that outlives its time limit kills the process
 * (`deadline_exceeded`); the next request starts a fresh one. A driver that exits
 * mid-request gives `compiler_failed` with its stderr. A missing binary gives
 * `tool_missing` with `DRIVER_BUILD_HINT`. Failed responses become OpmErrors
 * through `driverErrorToOpm`.
 */
export class CraneliftDriverClient {
  /** Absolute (or as given) path of the driver binary. */
  readonly path: string;
  private readonly timeoutMs: number;
  private child: ChildProcessWithoutNullStreams | undefined;
  private pending: Pending | undefined;
  private buffered: Buffer[] = [];
  private stderrTail = "";
  private nextId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  /** Processes started so far (a restart after a timeout counts). */
  spawnCount = 0;

  constructor(options: DriverClientOptions = {}) {
    this.path = options.path ?? defaultDriverPath();
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /**
   * Sends `{protocol:1, id, op, ...fields}` and resolves with the success response
   * without its envelope (`protocol`, `id`, `op`, `ok`).
   * Requires `timeoutMs > 0` when given. Queued behind earlier requests; the time
   * limit counts from when the request is written.
   */
  request<Op extends DriverOp>(op: Op, fields: Record<string, unknown> = {}, options: { timeoutMs?: number } = {}): Promise<DriverResponses[Op]> {
    const run = this.queue.then(() => this.send(op, fields, options.timeoutMs ?? this.timeoutMs));
    this.queue = run.catch(() => undefined);
    return run as Promise<unknown> as Promise<DriverResponses[Op]>;
  }

  /** Closes the driver's stdin and waits (up to 5 s, then SIGKILL) for it to exit. */
  async close(): Promise<void> {
    await this.queue;
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin.end();
    });
  }

  private send(op: string, fields: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    if (!(timeoutMs > 0)) throw new OpmError("internal", `driver request \`${op}\`: timeoutMs must be > 0, got ${timeoutMs}`);
    const child = this.ensureProcess();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new OpmError("deadline_exceeded", `opm-cranelift-driver \`${op}\` did not answer within ${timeoutMs} ms; the driver was killed and will restart`));
        this.kill();
      }, timeoutMs);
      this.pending = {
        id,
        op,
        resolve: (body) => {
          clearTimeout(timer);
          resolve(body);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      child.stdin.write(`${JSON.stringify({ ...fields, protocol: DRIVER_PROTOCOL, id, op })}\n`);
    });
  }

  private ensureProcess(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    if (findExecutable(this.path) === undefined) {
      throw new OpmError("tool_missing", `the Cranelift driver \`${this.path}\` does not exist or is not executable; ${DRIVER_BUILD_HINT}`);
    }
    const child = spawn(this.path, [], { stdio: ["pipe", "pipe", "pipe"] });
    this.spawnCount++;
    this.child = child;
    this.buffered = [];
    this.stderrTail = "";
    // An idle driver must not keep Node alive; a pending request's timer does.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
    child.stdin.on("error", () => undefined); // EPIPE after a crash: reported by `exit`
    child.stdout.on("data", (chunk: Buffer) => this.onData(child, chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_KEEP);
    });
    child.on("error", (err: NodeJS.ErrnoException) => {
      if (this.child !== child) return;
      this.child = undefined;
      const code = err.code === "ENOENT" || err.code === "EACCES" ? "tool_missing" : "compiler_failed";
      this.fail(new OpmError(code, `could not start the Cranelift driver \`${this.path}\`: ${err.message}; ${DRIVER_BUILD_HINT}`, { cause: err }));
    });
    child.on("exit", (exitCode, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      const how = signal !== null ? `was killed by ${signal}` : `exited with status ${exitCode}`;
      this.fail(new OpmError("compiler_failed", `opm-cranelift-driver ${how} while handling \`${this.pending?.op}\``, { detail: clipLog(this.stderrTail) }));
    });
    return child;
  }

  private onData(child: ChildProcessWithoutNullStreams, chunk: Buffer): void {
    if (this.child !== child) return;
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      this.buffered.push(chunk.subarray(start, nl));
      const line = Buffer.concat(this.buffered).toString("utf8");
      this.buffered = [];
      start = nl + 1;
      this.onLine(line);
    }
    if (start < chunk.length) this.buffered.push(chunk.subarray(start));
  }

  private onLine(line: string): void {
    if (line.trim() === "") return;
    const pending = this.pending;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.fail(new OpmError("internal", `opm-cranelift-driver wrote a line that is not JSON: ${clipLog(line, 200)}`));
      this.kill();
      return;
    }
    if (!pending || body["id"] !== pending.id) {
      this.fail(new OpmError("internal", `opm-cranelift-driver answered id ${JSON.stringify(body["id"])} while ${pending ? `id ${pending.id}` : "nothing"} was pending`));
      this.kill();
      return;
    }
    this.pending = undefined;
    if (body["ok"] === true) {
      const { protocol: _protocol, id: _id, op: _op, ok: _ok, ...fields } = body;
      pending.resolve(fields);
    } else {
      pending.reject(driverErrorToOpm(pending.op, (body["error"] ?? { code: "unknown", message: line }) as DriverErrorBody));
    }
  }

  private fail(err: OpmError): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }

  private kill(): void {
    const child = this.child;
    this.child = undefined;
    child?.kill("SIGKILL");
  }
}

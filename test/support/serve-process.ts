import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, connect, type Socket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { deltaNoteSigner } from "../../src/ledger/index.js";
import { ensureLedgerKey, ensureNodePki, issueIdentity, loadIdentity, loadNodeCa, writeIdentity, type Identity } from "../../src/kernel/pki/index.js";

const OPM = fileURLToPath(new URL("../../bin/opm.js", import.meta.url));

/** A free loopback port (closed again at once: a node binds it next). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A node's data dir prepared before its first start (PKI and delta key made the way
 * `opm serve` makes them), so peers can be wired to it before it runs.
 */
export interface NodeDir {
  name: string;
  dataDir: string;
  port: number;
  address: string;
  /** Its delta log's verifier key (what `opm serve` prints as deltaKey). */
  deltaKey: string;
  /** Its operator identity. */
  admin(): Identity;
  /** An identity its CA issues. */
  issue(name: string): Promise<Identity>;
}

export async function prepareNode(root: string, name: string): Promise<NodeDir> {
  const dataDir = join(root, name);
  await ensureNodePki(dataDir, "127.0.0.1");
  const port = await freePort();
  return {
    name, dataDir, port, address: `127.0.0.1:${port}`,
    deltaKey: deltaNoteSigner(ensureLedgerKey(dataDir)).verifierKey(),
    admin: () => loadIdentity(join(dataDir, "identities", "admin")),
    issue: (n) => issueIdentity(loadNodeCa(dataDir), n),
  };
}

/**
 * Writes the `--peer` identity directory for `puller` reading `source` at `address`
 * (an identity `source`'s CA issued, named `node-<puller>`, and the pinned `peer.vkey`);
 * returns the flag value `address@dir`.
 */
export async function peerFlag(root: string, puller: NodeDir, source: NodeDir, address = source.address, pinnedKey = source.deltaKey): Promise<string> {
  const dir = join(root, `${puller.name}-at-${source.name}-${address.replace(/[^0-9]/g, "")}`);
  mkdirSync(dir, { recursive: true });
  writeIdentity(dir, await source.issue(`node-${puller.name}`));
  writeFileSync(join(dir, "peer.vkey"), `${pinnedKey}\n`);
  return `${address}@${dir}`;
}

/** A running `opm serve` process. */
export interface ServeProcess {
  child: ChildProcess;
  address: string;
  /** Its stderr so far (JSON-lines logs). */
  stderr(): string;
  /** The parsed log lines so far. */
  logs(): Array<Record<string, unknown>>;
  /** SIGKILL: no shutdown at all. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** Test knobs of `opm serve` (see src/cli/commands/serve-peers.ts). */
export const FAST_SYNC_ENV = { OPM_SYNC_PULL_INTERVAL_MS: "200", OPM_SYNC_PAGE_BYTES: "1", OPM_DELTA_BATCH_CHANGES: "8" };

/**
 * Starts `opm serve` for `node` (on its port, `--db` when given, `--peer` each of `peers`)
 * and resolves once it prints its listening line; rejects with its stderr if it exits first
 * or is not listening within `timeoutMs`.
 */
export function startServe(node: NodeDir, options: { db?: string; peers?: string[]; extra?: string[]; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ServeProcess> {
  const args = [OPM, "serve", "--data-dir", node.dataDir, "--listen", node.address, ...(options.db === undefined ? [] : ["--db", options.db])];
  for (const p of options.peers ?? []) args.push("--peer", p);
  args.push(...(options.extra ?? []));
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...FAST_SYNC_ENV, ...options.env } });
  let err = "";
  let out = "";
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const proc: ServeProcess = {
    child,
    address: node.address,
    stderr: () => err,
    logs: () => err.split("\n").filter((l) => l.startsWith("{")).flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    }),
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`opm serve ${node.name} not listening after ${options.timeoutMs ?? 300_000} ms\n${err.slice(-4000)}`));
    }, options.timeoutMs ?? 300_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes('"event":"listening"')) {
        clearTimeout(timer);
        resolve(proc);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`opm serve ${node.name} exited (${code ?? signal}) before listening\n${err.slice(-4000)}`));
    });
  });
}

/**
 * A TCP relay to `target` on a free loopback port: a network link a test can cut
 * (`partition`: open connections are destroyed and new ones refused) and restore (`heal`).
 */
export interface Link {
  address: string;
  partition(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startLink(target: string): Promise<Link> {
  const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  let cut = false;
  const open = new Set<Socket>();
  const server = createServer((inbound) => {
    if (cut) return inbound.destroy();
    const outbound = connect(port, host);
    open.add(inbound).add(outbound);
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
      open.delete(inbound);
      open.delete(outbound);
    };
    inbound.on("error", drop).on("close", drop);
    outbound.on("error", drop).on("close", drop);
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    partition: () => {
      cut = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    heal: () => {
      cut = false;
    },
    close: async () => {
      cut = true;
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `probe` until it returns a value (not undefined); throws naming `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? "" : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

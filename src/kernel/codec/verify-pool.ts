import type { KeyObject } from "node:crypto";
import { Worker } from "node:worker_threads";
import { publicKeyFromRaw, rawPublicKey, verifyBytes } from "./ed25519.js";

/** Checks Ed25519 signatures; `VerifyPool` off the event loop, `inlineVerifier` on it. */
export interface SignatureVerifier {
  verify(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
  close(): Promise<void>;
}

/** Verification on the calling thread (node:crypto), for one-core machines and tools. */
export const inlineVerifier: SignatureVerifier = {
  verify: async (key, message, signature) => verifyBytes(key, message, signature),
  close: async () => undefined,
};

/**
 * The worker: verifies a batch with node:crypto, keeping KeyObjects by raw public key.
 * Plain CommonJS evaluated from a string, so that it runs the same from `src/` under
 * vitest and from `dist/`.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createPublicKey, verify } = require("node:crypto");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const keys = new Map();
parentPort.on("message", ({ batch, blob, ends, keyOf, raws }) => {
  // blob holds message i then signature i, back to back; ends[2i], ends[2i+1] end them.
  const n = keyOf.length;
  const ok = new Uint8Array(n);
  const objects = raws.map((raw) => {
    const hex = Buffer.from(raw).toString("hex");
    let key = keys.get(hex);
    if (key === undefined) {
      if (keys.size > 10000) keys.clear();
      key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
      keys.set(hex, key);
    }
    return key;
  });
  let at = 0;
  for (let i = 0; i < n; i++) {
    const message = blob.subarray(at, ends[2 * i]);
    const signature = blob.subarray(ends[2 * i], ends[2 * i + 1]);
    at = ends[2 * i + 1];
    try { ok[i] = verify(null, message, objects[keyOf[i]], signature) ? 1 : 0; } catch { ok[i] = 0; }
  }
  parentPort.postMessage({ batch, ok }, [ok.buffer]);
});
`;

/**
 * One worker message for `part`, its buffers transferred: cloning thousands of small typed
 * arrays (each with the buffer it views) cost more than the checks themselves.
 */
function packChecks(batch: number, part: readonly Pending[]): [unknown, ArrayBuffer[]] {
  let size = 0;
  for (const p of part) size += p.message.length + p.signature.length;
  const blob = new Uint8Array(size);
  const ends = new Uint32Array(2 * part.length);
  const keyOf = new Uint32Array(part.length);
  const raws: Uint8Array[] = [];
  const index = new Map<Uint8Array, number>();
  let at = 0;
  part.forEach((p, i) => {
    blob.set(p.message, at);
    ends[2 * i] = at += p.message.length;
    blob.set(p.signature, at);
    ends[2 * i + 1] = at += p.signature.length;
    let k = index.get(p.raw);
    if (k === undefined) index.set(p.raw, (k = raws.push(Uint8Array.from(p.raw)) - 1));
    keyOf[i] = k;
  });
  return [{ batch, blob, ends, keyOf, raws }, [blob.buffer, ends.buffer, keyOf.buffer]];
}

/** Queued checks that go to the workers at once, without waiting for the event loop. */
const FLUSH_AT = 1024;

interface Pending {
  raw: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
  resolve(ok: boolean): void;
}

/**
 * Ed25519 verification on worker threads, so that the registry's event loop does not
 * spend a third of its time in it (two checks per signed call). Checks requested in one
 * turn of the event loop go to the workers as one message each, round robin. A worker
 * that dies is replaced by inline verification: a failure of the pool never turns into
 * an accepted signature, only into slower ones.
 */
export class VerifyPool implements SignatureVerifier {
  private readonly workers: Worker[];
  private readonly inFlight = new Map<number, Pending[]>();
  private readonly raw = new WeakMap<KeyObject, Uint8Array>();
  private queue: Pending[] = [];
  private nextBatch = 0;
  private nextWorker = 0;
  private broken = false;

  constructor(size: number) {
    this.workers = Array.from({ length: size }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref();
      worker.on("message", ({ batch, ok }: { batch: number; ok: Uint8Array }) => {
        const pending = this.inFlight.get(batch) ?? [];
        this.inFlight.delete(batch);
        pending.forEach((p, i) => p.resolve(ok[i] === 1));
      });
      worker.on("error", () => this.fail());
      worker.on("exit", () => this.fail());
      return worker;
    });
  }

  verify(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (this.broken || this.workers.length === 0) return inlineVerifier.verify(publicKey, message, signature);
    return new Promise<boolean>((resolve) => {
      if (this.queue.length === 0) setImmediate(() => this.flush());
      this.queue.push({ raw: this.rawOf(publicKey), message, signature, resolve });
      // A caller queueing many checks in one synchronous stretch (a replay opening a log)
      // keeps the workers busy meanwhile instead of handing them everything at its end.
      if (this.queue.length >= FLUSH_AT) this.flush();
    });
  }

  /**
   * Stops the workers; checks still held by them are finished inline — or, with "drop",
   * never answered (a caller that failed and will not read them: a replay refusing a log).
   */
  async close(pending: "settle" | "drop" = "settle"): Promise<void> {
    if (pending === "drop") {
      this.queue = [];
      this.inFlight.clear();
    }
    this.fail();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private rawOf(key: KeyObject): Uint8Array {
    let raw = this.raw.get(key);
    if (raw === undefined) {
      raw = rawPublicKey(key);
      this.raw.set(key, raw);
    }
    return raw;
  }

  /** Sends the queued checks, split evenly over the workers. */
  private flush(): void {
    const queue = this.queue;
    this.queue = [];
    if (this.broken) return this.settleInline(queue);
    const share = Math.ceil(queue.length / this.workers.length);
    for (let from = 0; from < queue.length; from += share) {
      const part = queue.slice(from, from + share);
      const batch = this.nextBatch++;
      this.inFlight.set(batch, part);
      const worker = this.workers[this.nextWorker++ % this.workers.length]!;
      worker.postMessage(...packChecks(batch, part));
    }
  }

  /** A worker died: everything it held, and everything after, is checked inline. */
  private fail(): void {
    if (this.broken) return;
    this.broken = true;
    const held = [...this.inFlight.values()].flat();
    this.inFlight.clear();
    this.settleInline(held);
  }

  private settleInline(pending: Pending[]): void {
    for (const p of pending) p.resolve(verifyBytes(publicKeyFromRaw(p.raw), p.message, p.signature));
  }
}

/**
 * The server side of the ingestion benchmark, run as a child process (forked by
 * ingest-bench.ts) so that client and server never share an event loop, as an adapter and
 * a registry never do. Argument: `echo` | `verify-echo` | `registry [postgres-url]`, then
 * the data dir. `verify-echo` is the echo plus the signature checks a submission needs.
 * Over IPC it sends `{ ready, address }` once listening, answers `"cpu"` with its
 * process.cpuUsage(), and stops (then exits) on `"stop"`.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import type { KeyObject } from "node:crypto";
import { availableParallelism } from "node:os";
import { inlineVerifier, keyIdOf, publicKeyFromRaw, verifyObjectWith, VerifyPool, type SignatureVerifier } from "../../src/kernel/codec/index.js";
import { SubmitSignalRequestSchema } from "../../src/gen/openpassmarket/v1/registry_service_pb.js";
import { PerformanceSignalSchema } from "../../src/gen/openpassmarket/v1/signal_pb.js";
import { AUTH_METADATA, bodyDigest, requestSigningPayload } from "../../src/kernel/wire/index.js";
import { createLogger } from "../../src/kernel/logger/index.js";
import { startRegistryNode } from "../../src/server/node/index.js";
import { ensureNodePki } from "../../src/kernel/pki/index.js";
import { ECHO_PATH } from "./protocol.js";

const HOST = "127.0.0.1";
const identity = (b: Buffer): Buffer => b;

/**
 * A bare grpc-js unary echo with exactly the registry's TLS setup: the node's dev PKI,
 * client certificates required and checked against the node CA, same server options.
 */
async function startEcho(dataDir: string, verify: boolean): Promise<{ address: string; stop(): Promise<void> }> {
  const pki = await ensureNodePki(dataDir, HOST);
  const server = new Server({ "grpc.max_receive_message_length": 16 * 1024 * 1024, "grpc.max_send_message_length": 64 * 1024 * 1024, "grpc.keepalive_permit_without_calls": 1 });
  server.addService({
    Echo: { path: ECHO_PATH, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
  }, {
    Echo: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      if (!verify) return callback(null, call.request);
      verifyAsTheRegistryDoes(call).then(
        () => callback(null, call.request),
        (err: unknown) => callback({ code: status.UNAUTHENTICATED, details: (err as Error).message }),
      );
    },
  });
  const creds = ServerCredentials.createSsl(Buffer.from(pki.ca.certPem), [{ cert_chain: Buffer.from(pki.server.certPem), private_key: Buffer.from(pki.server.keyPem) }], true);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(`${HOST}:0`, creds, (err, p) => (err ? reject(err) : resolve(p))));
  return { address: `${HOST}:${port}`, stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

/** The registry's default: Ed25519 on worker threads, one per core but one. */
const threads = Math.max(0, availableParallelism() - 1);
const verifier: SignatureVerifier = threads > 0 ? new VerifyPool(threads) : inlineVerifier;

/** Public keys by their base64 (the registry caches its actors' KeyObjects the same way). */
const keys = new Map<string, KeyObject>();

/**
 * The cryptography every signal submission needs before any storage: the caller's name
 * from its client certificate, the request signature over actor, method, nonce,
 * timestamp, idempotency key and body digest, and the signal's own signature. The
 * client names its key in the `bench-public-key` header (the registry looks it up).
 */
async function verifyAsTheRegistryDoes(call: ServerUnaryCall<Buffer, Buffer>): Promise<void> {
  const cn = call.getAuthContext()?.sslPeerCertificate?.subject?.CN;
  const actor = Array.isArray(cn) ? cn[0]! : cn ?? "";
  const header = (k: string) => String(call.metadata.get(k)[0] ?? "");
  const raw = header("bench-public-key");
  let key = keys.get(raw);
  if (key === undefined) keys.set(raw, (key = publicKeyFromRaw(Buffer.from(raw, "base64"))));
  const payload = requestSigningPayload({
    actor, method: ECHO_PATH, nonce: header(AUTH_METADATA.nonce), timestampMs: Number(header(AUTH_METADATA.timestamp)),
    idempotencyKey: header(AUTH_METADATA.idempotencyKey), bodyDigest: bodyDigest(call.request),
  });
  if (!(await verifier.verify(key, payload, Buffer.from(header(AUTH_METADATA.signature), "base64")))) throw new Error("request signature does not verify");
  const signal = fromBinary(SubmitSignalRequestSchema, call.request).signal!;
  await verifyObjectWith(verifier, PerformanceSignalSchema, signal, key, keyIdOf(Buffer.from(raw, "base64")));
}

async function main(): Promise<void> {
  const [kind, dataDir, dbUrl] = process.argv.slice(2);
  if ((kind !== "echo" && kind !== "verify-echo" && kind !== "registry") || dataDir === undefined) throw new Error(`usage: bench-server echo|verify-echo|registry DATA_DIR [POSTGRES_URL], got ${process.argv.slice(2).join(" ")}`);
  const server = kind !== "registry"
    ? await startEcho(dataDir, kind === "verify-echo")
    : await startRegistryNode({
      dataDir, host: HOST, port: 0, log: createLogger({ silent: true }),
      // The limiter must never be what the benchmark measures.
      rateLimit: { perSecond: 1e9, burst: 1e9 },
      ...(dbUrl ? { dbUrl } : {}),
      ...(process.env.INGEST_BENCH_COMMIT_LANES ? { commitLanes: Number(process.env.INGEST_BENCH_COMMIT_LANES) } : {}),
    });
  process.on("message", (msg) => {
    if (msg === "cpu") process.send!({ cpu: process.cpuUsage() });
    if (msg === "stop") void server.stop().then(() => process.send!({ stopped: true }, () => process.exit(0)));
  });
  process.send!({ ready: true, address: server.address });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-server: ${String((err as Error).stack ?? err)}\n`);
  process.exit(1);
});

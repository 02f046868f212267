/**
 * The server side of the ingestion benchmark, run as a child process (forked by
 * ingest-bench.ts) so that client and server never share an event loop, as an adapter and
 * a registry never do. Argument: `echo` | `registry [postgres-url]`, then the data dir.
 * Over IPC it sends `{ ready, address }` once listening, answers `"cpu"` with its
 * process.cpuUsage(), and stops (then exits) on `"stop"`.
 */
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from "@grpc/grpc-js";
import { createLogger } from "../../src/log/index.js";
import { startRegistryNode } from "../../src/node/index.js";
import { ensureNodePki } from "../../src/pki/index.js";
import { ECHO_PATH } from "./protocol.js";

const HOST = "127.0.0.1";
const identity = (b: Buffer): Buffer => b;

/**
 * A bare grpc-js unary echo with exactly the registry's TLS setup: the node's dev PKI,
 * client certificates required and checked against the node CA, same server options.
 */
async function startEcho(dataDir: string): Promise<{ address: string; stop(): Promise<void> }> {
  const pki = await ensureNodePki(dataDir, HOST);
  const server = new Server({ "grpc.max_receive_message_length": 16 * 1024 * 1024, "grpc.max_send_message_length": 64 * 1024 * 1024, "grpc.keepalive_permit_without_calls": 1 });
  server.addService({
    Echo: { path: ECHO_PATH, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
  }, { Echo: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => callback(null, call.request) });
  const creds = ServerCredentials.createSsl(Buffer.from(pki.ca.certPem), [{ cert_chain: Buffer.from(pki.server.certPem), private_key: Buffer.from(pki.server.keyPem) }], true);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(`${HOST}:0`, creds, (err, p) => (err ? reject(err) : resolve(p))));
  return { address: `${HOST}:${port}`, stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

async function main(): Promise<void> {
  const [kind, dataDir, dbUrl] = process.argv.slice(2);
  if ((kind !== "echo" && kind !== "registry") || dataDir === undefined) throw new Error(`usage: bench-server echo|registry DATA_DIR [POSTGRES_URL], got ${process.argv.slice(2).join(" ")}`);
  const server = kind === "echo"
    ? await startEcho(dataDir)
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

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JobService } from "../../src/gen/openpassmarket/v1/job_service_pb.js";
import { RegistryService } from "../../src/gen/openpassmarket/v1/registry_service_pb.js";
import { createLogger } from "../../src/kernel/logger/index.js";
import { startRegistryNode, type RegistryNode, type RegistryNodeOptions } from "../../src/server/node/index.js";
import { issueIdentity, loadIdentity, loadNodeCa, type Identity } from "../../src/kernel/pki/index.js";
import { createRpcClient, type RpcClient } from "../../src/kernel/wire/index.js";
import type { TestDatabase } from "./databases.js";
import { LLVM_CAPS } from "./fixtures.js";

export type RegistryClient = RpcClient<(typeof RegistryService)["method"]>;
export type JobClient = RpcClient<(typeof JobService)["method"]>;

/** A registry node on loopback in a temp dir, with helpers to make identities and clients. */
export interface RegistryHarness {
  node: RegistryNode;
  dataDir: string;
  dbUrl: string | undefined;
  admin: Identity;
  /** A new identity issued by the node's CA. */
  identity(name: string): Promise<Identity>;
  client(identity: Identity): RegistryClient;
  jobs(identity: Identity): JobClient;
  /** A registered LLVM adapter on `compilerVersion`, owned by `owner`, admitted by the operator. */
  admittedAdapter(name: string, compilerVersion: string, owner: string): Promise<{ id: Identity; jobs: JobClient }>;
  /** Stops the node (keeping its data) and starts it again on the same data and database. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a node against `database` (a fresh one). */
export async function startHarness(database: TestDatabase, extra: Partial<RegistryNodeOptions> = {}): Promise<RegistryHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), "opm-test-"));
  const dbUrl = await database.create();
  const options: RegistryNodeOptions = {
    dataDir, host: "127.0.0.1", port: 0, log: createLogger({ silent: true }), ...extra, ...(dbUrl ? { dbUrl } : {}),
  };
  let node = await startRegistryNode(options);
  const clients: Array<{ close(): void }> = [];
  const harness: RegistryHarness = {
    node,
    dataDir,
    dbUrl,
    admin: loadIdentity(node.adminDir),
    identity: (name) => issueIdentity(loadNodeCa(dataDir), name),
    client: (identity) => {
      const c = createRpcClient(RegistryService, { address: harness.node.address, identity, deadlineMs: 20_000 });
      clients.push(c);
      return c;
    },
    jobs: (identity) => {
      const c = createRpcClient(JobService, { address: harness.node.address, identity, deadlineMs: 20_000 });
      clients.push(c);
      return c;
    },
    admittedAdapter: async (name, compilerVersion, owner) => {
      const id = await harness.identity(name);
      await harness.client(id).registerAdapter({ publicKey: id.keys.publicKeyRaw, capabilities: { ...LLVM_CAPS, compilerVersion }, owner });
      await harness.client(harness.admin).admitAdapter({ adapter: id.name, keyId: id.keys.keyId });
      return { id, jobs: harness.jobs(id) };
    },
    restart: async () => {
      const port = Number(node.address.split(":").pop());
      await node.stop();
      node = await startRegistryNode({ ...options, port });
      harness.node = node;
    },
    close: async () => {
      clients.forEach((c) => c.close());
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { runAdapter } from "../../adapters/framework/adapter-process.js";
import { IrStore } from "../../adapters/framework/ir-store.js";
import { toolchainFor } from "../../adapters/framework/toolchains.js";
import { RegistryService } from "../../gen/openpassmarket/v1/registry_service_pb.js";
import { OpmError } from "../../kernel/errors/index.js";
import type { Logger } from "../../kernel/logger/index.js";
import { issueIdentity, loadIdentity, loadNodeCa, type Identity } from "../../kernel/pki/index.js";
import type { CompilerKind } from "../../kernel/plan/index.js";
import { createRpcClient, type RpcClient } from "../../kernel/wire/index.js";
import { startRegistryNode } from "./registry-node.js";

/** A registry with local adapters, and the participant identity to use it. */
export interface LocalMarket {
  /**
   * Where a participant's client searches: the registry's address, the participant's
   * identity and IR store, the number of adapters, and a signal aborted when every local
   * adapter has stopped on its own (nothing could run jobs any more).
   */
  target: { address: string; identity: Identity; irStore: IrStore; parallelism: number; stopped: AbortSignal };
  stop(): Promise<void>;
}

/**
 * An embedded registry (in-memory database, temp dir) with `adapters` adapters for
 * `compiler` running in this process, owned by a participant whose identity and IR store are
 * returned — what `opm optimize` uses when no registry is given, and what benchmarks
 * reuse across many problems.
 */
export async function startLocalMarket(compiler: CompilerKind, adapters: number, log: Logger): Promise<LocalMarket> {
  const options = { compiler, adapters };
  const dir = mkdtempSync(join(tmpdir(), "opm-optimize-"));
  // The run's registry lives only as long as the run, so its database is in memory.
  const node = await startRegistryNode({ dataDir: join(dir, "node"), host: "127.0.0.1", port: 0, log, ephemeralDb: true });
  const ca = loadNodeCa(join(dir, "node"));
  const participant = await issueIdentity(ca, "participant");
  const irStore = new IrStore(join(dir, "ir"));
  const controller = new AbortController();
  const admin = createRpcClient(RegistryService, { address: node.address, identity: loadIdentity(node.adminDir) });
  const running: Array<Promise<void>> = [];
  const failures: string[] = [];
  try {
    for (let i = 0; i < options.adapters; i++) {
      const identity = await issueIdentity(ca, `local-${options.compiler}-${i + 1}`);
      running.push(runAdapter({
        registry: node.address, identity, toolchain: await toolchainFor(options.compiler), owner: participant.name, irStore,
        concurrency: 1, leaseMs: 60_000, log, signal: controller.signal, maxPollMs: 100,
      }).catch((err: unknown) => {
        failures.push(`${identity.name}: ${err instanceof Error ? err.message : String(err)}`);
        log.error("adapter stopped", { adapter: identity.name, error: err });
      }));
      await admitWhenRegistered(admin, identity);
    }
  } finally {
    admin.close();
  }
  const gone = new AbortController();
  void Promise.allSettled(running).then(() => {
    if (!controller.signal.aborted) gone.abort(`all ${options.adapters} local adapters stopped: ${failures.join("; ") || "no error reported"}`);
  });
  return {
    target: { address: node.address, identity: participant, irStore, parallelism: options.adapters, stopped: gone.signal },
    stop: async () => {
      controller.abort();
      await Promise.allSettled(running);
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function admitWhenRegistered(admin: RpcClient<(typeof RegistryService)["method"]>, identity: Identity): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const found = await admin.getActor({ name: identity.name }).catch(() => undefined);
    if (found?.actor !== undefined) {
      await admin.admitAdapter({ adapter: identity.name, keyId: identity.keys.keyId, reason: "local adapter of opm optimize" });
      return;
    }
    await sleep(50);
  }
  throw new OpmError("unavailable", `local adapter ${identity.name} did not register`);
}

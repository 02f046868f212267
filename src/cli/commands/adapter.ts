import { resolve } from "node:path";
import { IrStore } from "../../adapters/framework/ir-store.js";
import { runAdapter } from "../../adapters/framework/adapter-process.js";
import { parseCompiler } from "../../kernel/plan/proto-mapping.js";
import { toolchainFor } from "../../adapters/framework/toolchains.js";
import { OpmError } from "../../kernel/errors/index.js";
import { createLogger } from "../../kernel/logger/index.js";
import { loadIdentity } from "../../kernel/pki/index.js";
import { parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { CLIENT_FLAGS } from "../connect.js";

/** `opm adapter llvm|gcc|cranelift`: runs an adapter process until SIGTERM/SIGINT. */
export const adapterCommand: Command = {
  name: "adapter",
  summary: "run a compiler adapter: register, publish the catalog, claim and evaluate jobs",
  usage: "opm adapter llvm|gcc|cranelift --registry HOST:PORT --identity DIR [--owner PARTICIPANT] [--ir-store DIR] [--concurrency N] [--lease-ms N]",
  async run(argv) {
    const args = parseCommandArgs(argv, {
      ...CLIENT_FLAGS, owner: { type: "string" }, "ir-store": { type: "string" }, concurrency: { type: "string" }, "lease-ms": { type: "string" },
    });
    const kind = parseCompiler(args.positionals[0] ?? "", "compiler (first argument)");
    const concurrency = Number(stringFlag(args, "concurrency") ?? 1);
    const leaseMs = Number(stringFlag(args, "lease-ms") ?? 30_000);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new OpmError("invalid_argument", `--concurrency: ${concurrency} is not in 1..64`);
    if (!Number.isInteger(leaseMs) || leaseMs < 100) throw new OpmError("invalid_argument", `--lease-ms: ${leaseMs} is not a whole number ≥ 100`);
    const identity = loadIdentity(resolve(stringFlag(args, "identity", true)));
    const irStoreDir = stringFlag(args, "ir-store");
    const controller = new AbortController();
    process.once("SIGTERM", () => controller.abort());
    process.once("SIGINT", () => controller.abort());
    const owner = stringFlag(args, "owner");
    await runAdapter({
      registry: stringFlag(args, "registry", true), identity, toolchain: await toolchainFor(kind),
      ...(owner ? { owner } : {}), ...(irStoreDir ? { irStore: new IrStore(resolve(irStoreDir)) } : {}),
      concurrency, leaseMs, log: createLogger(), signal: controller.signal,
    });
    return 0;
  },
};

import { resolve } from "node:path";
import { IrStore } from "../../adapters/framework/ir-store.js";
import { runAdapter } from "../../adapters/framework/adapter-process.js";
import { parseCompiler } from "../../kernel/plan/proto-mapping.js";
import { TOOLCHAINS, toolchainFor } from "../../adapters/framework/toolchains.js";
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
  usage: `opm adapter ${TOOLCHAINS.map((d) => d.compiler).join("|")} --registry HOST:PORT --identity DIR [--owner PARTICIPANT] [--ir-store DIR] [--concurrency N] [--lease-ms N]`,
  help: [
    "Runs one compiler adapter process until SIGTERM or SIGINT: registers the identity's Ed25519 key with the",
    "registry, waits until it is admitted (`opm admit`, or the ledger's governors), publishes the installed",
    "compiler's catalog as PassSpecs, then claims evaluation jobs, runs each on the real compiler, verifies the",
    "result and completes the job with a signed PerformanceSignal (or fails it with the compiler's diagnostics).",
    "On SIGTERM it stops claiming and finishes the jobs it holds. Logs are JSON lines on stderr.",
    "",
    `  COMPILER           ${TOOLCHAINS.map((d) => `${d.compiler} (${d.title})`).join(", ")}`,
    "  --registry HOST:PORT   the registry (`opm serve` prints its address)",
    "  --identity DIR     this adapter's identity (`opm pki issue --name NAME`); NAME is the adapter's name",
    "  --owner P          the participant that owns this adapter: it may also run P's private jobs",
    "  --ir-store DIR     where P's private IR lives, by digest (the --ir-store of P's `opm optimize`)",
    "  --concurrency N    jobs evaluated at once, 1..64 (default 1)",
    "  --lease-ms N       lease asked for each job, ≥ 100 ms (default 30000); heartbeats renew it while the compiler runs",
  ].join("\n"),
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

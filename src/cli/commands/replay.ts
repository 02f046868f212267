import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { VerifyPool } from "../../kernel/codec/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { ReplayedSignatureChecks, replayDeltaExport } from "../../ledger/index.js";
import { parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { createOutput } from "../output.js";
import { backtestCommand } from "./replay-backtest.js";
import { RecordedLog } from "../../client/backtest/index.js";

/** `opm replay LOG`: rebuilds a node's state offline from a delta export and prints its state root. */
export const replayCommand: Command = {
  name: "replay",
  summary: "rebuild a node's state offline from a delta log, verifying every signature; print the state root",
  usage: "opm replay LOG [--log-key VKEY] [--json]\n      opm replay LOG --strategy S [--problem ID] [--max-evals N] [--seed N] [--batch-size N] [--evaluate] [--log-key VKEY] [--json]",
  help: [
    "Reads a delta export (`opm sync export --out LOG`, or the mirror `opm sync` keeps) with no network and no",
    "compiler: checks every batch's signature, sequence and hash chain, the closing checkpoint's signature and",
    "Merkle root, every signal's adapter signature (keys from the log's actor records) and the governance",
    "ledger's entries (governor signatures and thresholds), then folds the batches into the state and prints",
    "the state root: the RFC 6962 Merkle root over the sorted, distinct leaves kind ‖ 0x00 ‖ key ‖ 0x00 ‖",
    "SHA-256(value) of the latest value of every key (README \"Delta-sync and replay\"). The node itself reports",
    "the same root (`opm sync status`). Exit 0 when it verifies, 1 naming the first problem.",
    "",
    "",
    "With --strategy: a backtest. After the same checks, re-runs a search offline on one public problem of the log,",
    "answering each plan the strategy asks for from the recorded evaluations (signals not refused; failed jobs);",
    "a plan the log never evaluated is a miss, which the strategy sees as a failed evaluation (with --evaluate it",
    "is measured with this machine's toolchain on the problem's recorded IR instead). It prints the best found, the",
    "plans proposed, answered and missed. When the log holds a campaign of that strategy on the problem, its seed,",
    "budget, batch size and plan set are the defaults and the market is what the log shows of it at the campaign's",
    "start; with the campaign's own seed every recorded decision is re-made and compared, and the result says",
    "whether all were reproduced (exit 1 when not). The search space comes from the installed compiler, which must",
    "be the version the problem was searched on.",
    "",
    "  --log-key VKEY     the node's delta-log key you trust; without it the file's own key is used",
    "  --strategy S       backtest this strategy (random, greedy, screen, market-first, transfer, …)",
    "  --problem ID       the problem (content id); default: the only one with evaluations",
    "  --max-evals N      plans the strategy may propose; default: the campaign's budget, else the recorded count",
    "  --seed N           default: the recorded campaign's seed, else 1",
    "  --batch-size N     plans asked at once; default: the campaign's, else 4",
    "  --evaluate         measure missed plans with the local toolchain instead of counting them as misses",
  ].join("\n"),
  async run(argv) {
    const args = parseCommandArgs(argv, {
      "log-key": { type: "string" }, strategy: { type: "string" }, problem: { type: "string" }, "max-evals": { type: "string" },
      seed: { type: "string" }, "batch-size": { type: "string" }, evaluate: { type: "boolean" },
    });
    const out = createOutput(args.values.json === true);
    const file = args.positionals[0];
    if (file === undefined || args.positionals.length > 1) throw new OpmError("invalid_argument", "opm replay takes one LOG file");
    const started = performance.now();
    const cpu = process.cpuUsage();
    const expectLogKey = stringFlag(args, "log-key");
    // Signals' Ed25519 checks dominate a replay: they start on every core as batches are
    // opened, and the state root is computed while the last ones run.
    const pool = new VerifyPool(availableParallelism());
    let signatures;
    let replayed;
    let root;
    try {
      const checks = new ReplayedSignatureChecks(pool);
      replayed = replayDeltaExport(readFileSync(resolve(file)), { ...(expectLogKey === undefined ? {} : { expectLogKey }), onBatch: (b) => checks.observe(b) });
      root = Buffer.from(replayed.state.root()).toString("hex");
      signatures = await checks.finish(replayed.state);
    } catch (err) {
      // Refused: the checks still queued answer nothing anyone reads.
      await pool.close("drop");
      throw err;
    }
    await pool.close();
    if (stringFlag(args, "strategy") !== undefined) return backtestCommand(args, out, new RecordedLog(replayed.state), root);
    const result = {
      origin: replayed.origin, logKey: replayed.logKey, batches: replayed.size.toString(), changes: replayed.state.changes,
      keys: replayed.state.values.size, kinds: replayed.state.counts(), checkpointTimeMs: replayed.checkpointTimeMs,
      signatures: { batches: Number(replayed.size), ...signatures }, stateRoot: root, elapsedMs: Math.round(performance.now() - started),
      // CPU time of every thread (the verification workers too): what a loaded machine cannot hide.
      cpuMs: Math.round(((c) => (c.user + c.system) / 1000)(process.cpuUsage(cpu))),
    };
    out.result(result, () => [
      `${result.origin}: ${result.batches} batches, ${result.changes} changes, ${result.keys} keys ${JSON.stringify(result.kinds)}`,
      `verified: ${result.batches} batch signatures, ${signatures.signalsVerified} signal signatures (${signatures.signalsWithoutKey} without a key in the log), ${signatures.ledgerEntries} ledger entries`,
      `state root ${root}`,
    ].join("\n"));
    return 0;
  },
};

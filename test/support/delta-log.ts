import { writeFileSync } from "node:fs";
import { vi } from "vitest";
import type { Command } from "../../src/cli/command.js";
import { replayCommand } from "../../src/cli/commands/replay.js";
import { deltaExportBatches, deltaExportCheckpoint, deltaExportHeader, parseCheckpoint, parseNote } from "../../src/ledger/index.js";
import type { RegistryNode } from "../../src/server/node/index.js";

/**
 * Writes `node`'s delta log to `file` as `opm sync export` does (header, every batch, the
 * closing checkpoint), after one forced batcher pass so it carries everything committed.
 */
export async function exportDeltaLog(node: RegistryNode, file: string): Promise<void> {
  const batcher = node.sync.batcher;
  await batcher.runOnce(true);
  const { note } = await batcher.checkpoint(0n);
  const size = parseCheckpoint(parseNote(note).text).size;
  const rows = await node.database.db.selectFrom("delta_batches").select(["body"]).where("sequence", "<", Number(size)).orderBy("sequence").execute();
  writeFileSync(file, Buffer.concat([deltaExportHeader(batcher.origin, batcher.logKey), deltaExportBatches(rows.map((r) => Uint8Array.from(r.body))), deltaExportCheckpoint(note)]));
}

/** Runs `opm replay ARGS --json` in this process: its exit code and the JSON document it printed. */
export function replayJson(...args: string[]): Promise<{ code: number; json: Record<string, any> }> {
  return commandJson(replayCommand, args);
}

/** Runs `opm COMMAND ARGS --json` in this process (no build needed): its exit code and the JSON document it printed. */
export async function commandJson(command: Command, args: readonly string[]): Promise<{ code: number; json: Record<string, any> }> {
  const written: string[] = [];
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    const code = await command.run([...args, "--json"]);
    return { code, json: JSON.parse(written.join("")) as Record<string, any> };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

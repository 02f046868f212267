import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { OpmError } from "../../kernel/errors/index.js";
import { loadIdentity } from "../../kernel/pki/index.js";
import { createRpcClient } from "../../kernel/wire/index.js";
import { SyncService } from "../../gen/openpassmarket/v1/sync_service_pb.js";
import { deltaExportBatches, deltaExportCheckpoint, deltaExportHeader, Ed25519NoteVerifier, parseCheckpoint, parseNote } from "../../ledger/index.js";
import { FilePeerStore, pullDeltas } from "../../server/sync/index.js";
import { parseCommandArgs, stringFlag, type ParsedArgs } from "../args.js";
import type { Command } from "../command.js";
import { createOutput } from "../output.js";

const USAGE = "opm sync --peer HOST:PORT --identity DIR [--peer-key VKEY] [--mirror DIR] [--max-age SECONDS] | opm sync export --registry HOST:PORT --identity DIR --out LOG | opm sync status --registry HOST:PORT --identity DIR";

/** The peer's pinned delta-log key: `--peer-key`, else `IDENTITY/peer.vkey`. */
function peerKeyOf(args: ParsedArgs, identityDir: string): string {
  const flag = stringFlag(args, "peer-key");
  if (flag !== undefined) return flag;
  const file = join(identityDir, "peer.vkey");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  throw new OpmError("invalid_argument", `--peer-key is required (or put the peer's deltaKey in ${file}): the peer's key is pinned by its operator, never learnt from the peer`);
}

function syncClient(args: ParsedArgs, addressFlag: string) {
  return createRpcClient(SyncService, { address: stringFlag(args, addressFlag, true), identity: loadIdentity(resolve(stringFlag(args, "identity", true))), deadlineMs: 60_000 });
}

/** `opm sync`: pull and verify a peer's delta log into a local mirror; export a node's log; show sync status. */
export const syncCommand: Command = {
  name: "sync",
  summary: "delta-sync: pull and verify a peer node's delta log (or export one for opm replay)",
  usage: USAGE,
  subcommands: [
    {
      name: "export", summary: "write a node's delta log to one file (fetched in pages) for opm replay",
      usage: "opm sync export --registry HOST:PORT --identity DIR --out LOG",
      help: [
        "Fetches a checkpoint signed now and every batch it covers, in pages of at most 8 MiB, and writes one",
        "DeltaExport file (format, origin, log key, the batches, the checkpoint) that `opm replay` verifies offline.",
        "",
        "  --registry HOST:PORT   the node whose log to export",
        "  --identity DIR         any identity the node's CA issued",
        "  --out LOG              where to write it (written to LOG.partial, renamed when complete)",
      ].join("\n"),
    },
    {
      name: "status", summary: "a node's delta-log size, state roots and peers", usage: "opm sync status --registry HOST:PORT --identity DIR",
      help: [
        "Prints the node's delta-log origin and size, its state root (what `opm replay` of its export prints), its",
        "federated root (its own state and every change applied from peers: equal on nodes that synced both ways)",
        "and, per peer, the batches applied.",
        "",
        "  --registry HOST:PORT   the node",
        "  --identity DIR         any identity the node's CA issued",
      ].join("\n"),
    },
  ],
  help: [
    "Without a subcommand: pulls the delta log of the node at --peer over mTLS (SyncService) into a verified",
    "mirror, from the last checkpoint it trusted: the checkpoint must be signed by the pinned key, fresh, not",
    "smaller than or inconsistent with the trusted one; every batch's signature, sequence and hash chain are",
    "checked and the batches must prove consistent with the checkpoint. A refusal exits 1 naming the reason",
    "(bad_signature, unknown_key, gap, bad_chain, rollback, split_view, frozen, mix_and_match, oversized_batch,",
    "root_mismatch) and applies nothing of the refused page. A pull that is interrupted resumes where it stopped.",
    "",
    "  --peer HOST:PORT   the peer node",
    "  --identity DIR     an identity the PEER's CA issued (`opm pki issue --data-dir PEER_DIR --name NAME`)",
    "  --peer-key VKEY    the peer's delta-log key (its `opm serve` line prints it as deltaKey); default DIR/peer.vkey",
    "  --mirror DIR       where the mirror lives (default DIR/sync-mirror); DIR/sync-mirror/log.opmdelta is",
    "                     the verified log as an export, for `opm replay`",
    "  --max-age SECONDS  refuse a checkpoint signed longer ago (a frozen peer; default 600)",
  ].join("\n"),
  async run(argv) {
    const sub = argv[0] !== undefined && !argv[0].startsWith("-") ? argv[0] : undefined;
    const args = parseCommandArgs(sub === undefined ? argv : argv.slice(1), {
      peer: { type: "string" }, identity: { type: "string" }, "peer-key": { type: "string" }, mirror: { type: "string" },
      "max-age": { type: "string" }, registry: { type: "string" }, out: { type: "string" },
    });
    const out = createOutput(args.values.json === true);
    if (sub === "export") {
      const file = resolve(stringFlag(args, "out", true));
      const client = syncClient(args, "registry");
      try {
        const cp = await client.getDeltaCheckpoint({ fromSize: 0n });
        const size = parseCheckpoint(parseNote(cp.note).text).size;
        const origin = Ed25519NoteVerifier.fromVerifierKey(cp.logKey).name;
        const partial = `${file}.partial`;
        writeFileSync(partial, deltaExportHeader(origin, cp.logKey));
        let [next, pages, bytes] = [0n, 0, 0];
        while (next < size) {
          const page = await client.getDeltaBatches({ fromSequence: next, toSize: size, maxBytes: 8 * 1024 * 1024 });
          if (page.batches.length === 0) throw new OpmError("unavailable", `the node sent no batches from ${next}`);
          const chunk = deltaExportBatches(page.batches);
          appendFileSync(partial, chunk);
          [next, pages, bytes] = [next + BigInt(page.batches.length), pages + 1, bytes + chunk.length];
        }
        appendFileSync(partial, deltaExportCheckpoint(cp.note));
        renameSync(partial, file);
        out.result({ file, origin, batches: size.toString(), pages, bytes }, () => `wrote ${size} batches (${bytes} bytes, ${pages} page(s)) of ${origin} to ${file}`);
        return 0;
      } finally {
        client.close();
      }
    }
    if (sub === "status") {
      const client = syncClient(args, "registry");
      try {
        const s = await client.getSyncStatus({});
        const result = {
          origin: s.origin, size: s.size.toString(), deltas: s.deltas.toString(), stateRoot: s.stateRoot, federatedRoot: s.federatedRoot,
          peers: s.peers.map((p) => ({ origin: p.origin, address: p.address, appliedSize: p.appliedSize.toString() })),
        };
        out.result(result, () => `${result.origin}: ${result.size} batches, state root ${result.stateRoot}, federated root ${result.federatedRoot}, ${result.peers.length} peer(s)`);
        return 0;
      } finally {
        client.close();
      }
    }
    if (sub !== undefined) throw new OpmError("invalid_argument", `unknown sync subcommand ${JSON.stringify(sub)}; usage: ${USAGE}`);
    const identityDir = resolve(stringFlag(args, "identity", true));
    const logKey = peerKeyOf(args, identityDir);
    const maxAge = Number(stringFlag(args, "max-age") ?? "600");
    if (!(maxAge > 0)) throw new OpmError("invalid_argument", `--max-age: ${JSON.stringify(stringFlag(args, "max-age"))} is not a positive number of seconds`);
    const store = new FilePeerStore(resolve(stringFlag(args, "mirror") ?? join(identityDir, "sync-mirror")), logKey);
    const client = syncClient(args, "peer");
    try {
      const r = await pullDeltas(client, store, { maxCheckpointAgeMs: maxAge * 1000 });
      const log = join(store.dir, "log.opmdelta");
      store.writeExport(log);
      const result = { origin: r.origin, batches: r.batches, changes: r.changes, appliedSize: r.appliedSize.toString(), log };
      out.result(result, () => `${r.origin}: applied ${r.batches} batches (${r.changes} changes); the mirror holds ${r.appliedSize}; verified log: ${log}`);
      return 0;
    } catch (err) {
      const reason = (err as { reason?: string }).reason;
      if (reason !== undefined && err instanceof OpmError) throw new OpmError(err.code, `refused (${reason}): ${err.message}`, { cause: err });
      throw err;
    } finally {
      client.close();
    }
  },
};

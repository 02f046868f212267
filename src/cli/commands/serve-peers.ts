import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { OpmError } from "../../kernel/errors/index.js";
import { loadIdentity } from "../../kernel/pki/index.js";
import type { RegistryNodeOptions } from "../../server/node/index.js";
import { parseHostPort, stringFlag, type ParsedArgs } from "../args.js";

/**
 * `opm serve --peer HOST:PORT@DIR… [--max-checkpoint-age S]` as node options: each peer's
 * address, the identity its CA issued for this node (DIR) and its pinned key (DIR/peer.vkey).
 */
export function peersFlag(args: ParsedArgs): Pick<RegistryNodeOptions, "peers" | "sync"> {
  const values = (args.values.peer as string[] | undefined) ?? [];
  const peers = values.map((v) => {
    const at = v.indexOf("@");
    if (at < 0) throw new OpmError("invalid_argument", `--peer: ${JSON.stringify(v)} is not HOST:PORT@IDENTITY_DIR`);
    const address = v.slice(0, at);
    parseHostPort(address, "peer");
    const dir = resolve(v.slice(at + 1));
    const keyFile = join(dir, "peer.vkey");
    if (!existsSync(keyFile)) throw new OpmError("invalid_argument", `--peer ${v}: ${keyFile} is missing (the peer's deltaKey, from its listening line)`);
    return { address, identity: loadIdentity(dir), logKey: readFileSync(keyFile, "utf8").trim() };
  });
  const age = stringFlag(args, "max-checkpoint-age");
  if (age !== undefined && !(Number(age) > 0)) throw new OpmError("invalid_argument", `--max-checkpoint-age: ${JSON.stringify(age)} is not a positive number of seconds`);
  // Test knobs (small pages and batches make a sync long enough to interrupt); unset in use.
  const knob = (name: string): number | undefined => Number(process.env[name] ?? "") || undefined;
  const [pullMs, pageBytes, batchChanges] = [knob("OPM_SYNC_PULL_INTERVAL_MS"), knob("OPM_SYNC_PAGE_BYTES"), knob("OPM_DELTA_BATCH_CHANGES")];
  return {
    peers,
    sync: {
      ...(age === undefined ? {} : { maxCheckpointAgeMs: Number(age) * 1000 }), ...(pullMs === undefined ? {} : { pullIntervalMs: pullMs }),
      ...(pageBytes === undefined ? {} : { pageBytes }), ...(batchChanges === undefined ? {} : { batchChanges }),
    },
  };
}

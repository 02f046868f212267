import { resolve } from "node:path";
import { OpmError } from "../../kernel/errors/index.js";
import { DEFAULT_JOBS_CONFIG } from "../../server/jobs/index.js";
import { startRegistryNode } from "../../server/node/index.js";
import { parseCommandArgs, parseHostPort, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { peersFlag } from "./serve-peers.js";

/** `opm serve --data-dir DIR --listen HOST:PORT [--db URL] [--spot-check-fraction F]`: runs a registry node until SIGTERM/SIGINT. */
export const serveCommand: Command = {
  name: "serve",
  summary: "run a registry node (embedded PostgreSQL under --data-dir unless --db or DATABASE_URL)",
  usage: "opm serve --data-dir DIR --listen HOST:PORT [--db postgres://…] [--admission auto|ledger] [--spot-check-fraction F] [--peer HOST:PORT@IDENTITY_DIR]… [--max-checkpoint-age SECONDS]",
  help: [
    "Runs a registry node: the mTLS gRPC RegistryService, JobService and LedgerService, until SIGTERM or SIGINT (it",
    "finishes the calls in flight, then closes the database). When ready it prints one line on stdout:",
    "{\"event\":\"listening\",\"address\":\"HOST:PORT\",\"ca\":\"DIR/pki/ca.pem\"}. Logs are JSON lines on stderr.",
    "",
    "  --data-dir DIR     the node's files: pki/ (development CA, server certificate, the ledger's log key),",
    "                     identities/admin (the operator identity, for `opm admit`) and, without --db, pg/ (the",
    "                     embedded PostgreSQL, PGlite; the first start initialises it, about 10 s). Created if missing.",
    "  --listen HOST:PORT where to listen (default 127.0.0.1:0: a free port, printed in the listening line)",
    "  --db URL           a PostgreSQL server (postgres://user@host/db) instead of the embedded database;",
    "                     DATABASE_URL is used when this flag is absent",
    "  --admission MODE   who admits adapters. auto (default): the operator (`opm admit`) until a ledger genesis",
    "                     exists, then the ledger's governors. ledger: only the ledger's governors",
    "  --spot-check-fraction F   share of jobs on public problems re-run on another adapter to catch lying",
    `                     adapters, 0..1 (default ${DEFAULT_JOBS_CONFIG.spotCheckFraction}; README "Spot checks")`,
    "  --peer HOST:PORT@DIR  pull that peer node's delta log continuously (repeatable). DIR is an identity the",
    "                     PEER's CA issued for this node, holding peer.vkey: the peer's deltaKey, pinned by you",
    "                     (README \"Delta-sync and replay\"). A refused pull is logged with its reason; the node keeps serving",
    "  --max-checkpoint-age SECONDS   refuse a peer checkpoint signed longer ago: a frozen peer (default 600)",
  ].join("\n"),
  async run(argv) {
    const args = parseCommandArgs(argv, {
      "data-dir": { type: "string" }, listen: { type: "string" }, db: { type: "string" }, admission: { type: "string" }, "spot-check-fraction": { type: "string" },
      peer: { type: "string", multiple: true }, "max-checkpoint-age": { type: "string" },
    });
    // auto: the operator admits adapters until a ledger genesis exists, the ledger after; ledger: only the ledger.
    const admissionMode = stringFlag(args, "admission") ?? "auto";
    if (admissionMode !== "auto" && admissionMode !== "ledger") {
      throw new OpmError("invalid_argument", `--admission: unknown value ${JSON.stringify(admissionMode)}; expected auto or ledger`);
    }
    const spotCheckFraction = spotCheckFractionFlag(stringFlag(args, "spot-check-fraction"));
    const dataDir = resolve(stringFlag(args, "data-dir", true));
    const { host, port } = parseHostPort(stringFlag(args, "listen") ?? "127.0.0.1:0", "listen");
    const dbUrl = stringFlag(args, "db") ?? (process.env.DATABASE_URL || undefined);
    const node = await startRegistryNode({ dataDir, host, port, admissionMode, ...(dbUrl ? { dbUrl } : {}), jobs: { spotCheckFraction }, ...peersFlag(args) });
    process.stdout.write(`${JSON.stringify({ event: "listening", address: node.address, ca: node.caPath, deltaKey: node.deltaKey })}\n`);
    await new Promise<void>((done) => {
      const stop = (signal: string) => {
        process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: "info", msg: "shutting down", signal })}\n`);
        node.stop().then(done, (err: unknown) => {
          process.stderr.write(`${JSON.stringify({ level: "error", msg: "shutdown failed", error: String(err) })}\n`);
          done();
        });
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    return 0;
  },
};

/** `--spot-check-fraction`: a number in [0, 1]; the default (0.05) when absent. */
function spotCheckFractionFlag(text: string | undefined): number {
  if (text === undefined) return DEFAULT_JOBS_CONFIG.spotCheckFraction;
  const f = Number(text);
  if (text.trim() === "" || !(f >= 0 && f <= 1)) throw new OpmError("invalid_argument", `--spot-check-fraction: ${JSON.stringify(text)} is not a number in [0, 1]`);
  return f;
}

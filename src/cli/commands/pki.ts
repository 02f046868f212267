import { join, resolve } from "node:path";
import { issueIdentity, loadNodeCa, writeIdentity } from "../../kernel/pki/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { parseCommandArgs, stringFlag } from "../args.js";
import type { Command, CommandHelp } from "../command.js";
import { createOutput } from "../output.js";

/** `opm pki issue`: what `opm pki issue --help` prints. */
const ISSUE: CommandHelp = {
  name: "issue",
  summary: "issue a client identity (TLS certificate + Ed25519 key) from the node's CA",
  usage: "opm pki issue --data-dir DIR --name NAME [--out DIR] [--json]",
  help: [
    "Makes a client identity signed by the development CA of the node whose data dir is DIR (run it on the node's",
    "machine): a TLS client certificate whose common name is NAME — the actor name the registry knows it by — and",
    "an Ed25519 key that signs its requests and signals. Writes ca.pem, cert.pem, key.pem and ed25519.pem (the",
    "keys mode 0600) into the identity directory; pass that directory as --identity to the other commands.",
    "",
    "  --data-dir DIR     the node's --data-dir (reads DIR/pki/)",
    "  --name NAME        the actor's name: a participant (alice), an adapter (llvm-alice-1) or a governor",
    "  --out DIR          where to write the identity (default DIR/identities/NAME)",
  ].join("\n"),
};

/** `opm pki issue --data-dir DIR --name NAME [--out DIR]`: a client identity from the node's CA. */
export const pkiCommand: Command = {
  name: "pki",
  summary: "issue client identities (TLS certificate + Ed25519 key) from a node's CA",
  usage: ISSUE.usage,
  help: ISSUE.help,
  subcommands: [ISSUE],
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== "issue") throw new OpmError("invalid_argument", `unknown pki subcommand ${JSON.stringify(sub ?? "")}; usage: ${this.usage}`);
    const args = parseCommandArgs(rest, { "data-dir": { type: "string" }, name: { type: "string" }, out: { type: "string" } });
    const dataDir = resolve(stringFlag(args, "data-dir", true));
    const name = stringFlag(args, "name", true);
    const out = resolve(stringFlag(args, "out") ?? join(dataDir, "identities", name));
    const identity = await issueIdentity(loadNodeCa(dataDir), name);
    writeIdentity(out, identity);
    createOutput(args.values.json === true).result(
      { name, identity: out, keyId: identity.keys.keyId },
      () => `issued identity ${name} in ${out} (Ed25519 key id ${identity.keys.keyId})`,
    );
    return 0;
  },
};

import { join, resolve } from "node:path";
import { issueIdentity, loadNodeCa, writeIdentity } from "../../kernel/pki/index.js";
import { OpmError } from "../../kernel/errors/index.js";
import { parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { createOutput } from "../output.js";

/** `opm pki issue --data-dir DIR --name NAME [--out DIR]`: a client identity from the node's CA. */
export const pkiCommand: Command = {
  name: "pki",
  summary: "issue client identities (TLS certificate + Ed25519 key) from a node's CA",
  usage: "opm pki issue --data-dir DIR --name NAME [--out DIR] [--json]",
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

import { OpmError, isOpmError, type ErrorCode } from "../kernel/errors/index.js";
import type { Command } from "./command.js";
import { adapterCommand } from "./commands/adapter.js";
import { ledgerCommand } from "./commands/ledger.js";
import { optimizeCommand } from "./commands/optimize.js";
import { pkiCommand } from "./commands/pki.js";
import { admitCommand, auditCommand, discoverCommand, graphCommand } from "./commands/registry-commands.js";
import { serveCommand } from "./commands/serve.js";
import { verifyCommand } from "./commands/verify.js";

/** Every command, in the order `opm --help` lists them. */
export const COMMANDS: Command[] = [serveCommand, optimizeCommand, adapterCommand, pkiCommand, admitCommand, discoverCommand, graphCommand, auditCommand, verifyCommand, ledgerCommand];

/** Exit code for an error: 2 for bad input or a missing tool (could not decide), 1 otherwise. */
function exitCodeOf(code: ErrorCode): number {
  return code === "invalid_argument" || code === "tool_missing" || code === "malformed_message" ? 2 : 1;
}

/** Runs `opm ARGV…`; resolves to the process exit code. Errors go to stderr (and as JSON with --json). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stderr.write(`usage: opm COMMAND [options] (every command takes --json)\n\n${COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.summary}\n      ${c.usage}`).join("\n")}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command !== undefined && (rest.includes("--help") || rest.includes("-h"))) {
    process.stderr.write(`opm ${command.name}: ${command.summary}\n\nusage: ${command.usage}\n${command.help ? `\n${command.help}\n` : ""}`);
    return 0;
  }
  try {
    if (command === undefined) throw new OpmError("invalid_argument", `unknown command ${JSON.stringify(name)}; run \`opm --help\``);
    return await command.run(rest);
  } catch (err) {
    const e = isOpmError(err) ? err : new OpmError("internal", String((err as Error)?.stack ?? err), { cause: err });
    if (rest.includes("--json")) process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message, ...(e.detail ? { detail: e.detail } : {}) } })}\n`);
    process.stderr.write(`opm ${name}: ${e.message}${e.detail ? `\n${e.detail}` : ""}\n`);
    return exitCodeOf(e.code);
  }
}

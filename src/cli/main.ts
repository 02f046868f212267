import { OpmError, isOpmError, type ErrorCode } from "../kernel/errors/index.js";
import type { Command, CommandHelp } from "./command.js";
import { adapterCommand } from "./commands/adapter.js";
import { ledgerCommand } from "./commands/ledger.js";
import { optimizeCommand } from "./commands/optimize.js";
import { campaignCommand } from "./commands/campaign.js";
import { pkiCommand } from "./commands/pki.js";
import { admitCommand, auditCommand, discoverCommand, graphCommand } from "./commands/registry-commands.js";
import { serveCommand } from "./commands/serve.js";
import { syncCommand } from "./commands/sync.js";
import { replayCommand } from "./commands/replay.js";
import { verifyCommand } from "./commands/verify.js";
import { plansetCommand } from "./commands/planset.js";
import { budgetCommand, memberCommand, releaseCommand } from "./commands/privacy-commands.js";

/** Every command, in the order `opm --help` lists them. */
export const COMMANDS: Command[] = [serveCommand, optimizeCommand, campaignCommand, adapterCommand, pkiCommand, admitCommand, discoverCommand, graphCommand, auditCommand, verifyCommand, ledgerCommand, budgetCommand, releaseCommand, memberCommand, syncCommand, replayCommand, plansetCommand];

/** Exit code for an error: 2 for bad input, a missing tool or an undecided verdict (could not decide), 1 otherwise. */
function exitCodeOf(code: ErrorCode): number {
  return code === "invalid_argument" || code === "tool_missing" || code === "malformed_message" || code === "verification_undecided" ? 2 : 1;
}

/** Runs `opm ARGV…`; resolves to the process exit code. Errors go to stderr (and as JSON with --json). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  // `opm help COMMAND [SUB]` is `opm COMMAND [SUB] --help`.
  if (name === "help" && rest.length > 0) return main([...rest, "--help"]);
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stderr.write(`usage: opm COMMAND [options]   (every command takes --json; opm COMMAND --help explains one)\n\n${COMMANDS.map((c) => `  ${c.name.padEnd(12)} ${c.summary}\n      ${c.usage}`).join("\n")}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command !== undefined && (rest.includes("--help") || rest.includes("-h"))) {
    process.stderr.write(helpText(command, rest[0]));
    return 0;
  }
  try {
    if (command === undefined) throw new OpmError("invalid_argument", `unknown command ${JSON.stringify(name)}; run \`opm --help\``);
    return await command.run(rest);
  } catch (err) {
    const e = isOpmError(err) ? err : new OpmError("internal", String((err as Error)?.stack ?? err), { cause: err });
    if (rest.includes("--json")) process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message, ...(e.detail ? { detail: e.detail } : {}) } })}\n`);
    const hint = e.code === "invalid_argument" && command !== undefined ? `\n(opm ${name} --help lists its flags)` : "";
    process.stderr.write(`opm ${name}: ${e.message}${e.detail ? `\n${e.detail}` : ""}${hint}\n`);
    return exitCodeOf(e.code);
  }
}

/**
 * `opm COMMAND [SUB] --help`: the summary, usage and help of the subcommand SUB when
 * COMMAND has one of that name, else of COMMAND (with its subcommands listed).
 */
function helpText(command: Command, first: string | undefined): string {
  const sub = command.subcommands?.find((s) => s.name === first);
  const shown: CommandHelp = sub ?? command;
  const title = sub === undefined ? `opm ${command.name}` : `opm ${command.name} ${sub.name}`;
  const subs = sub === undefined && command.subcommands !== undefined
    ? `\nsubcommands (opm ${command.name} SUB --help for each):\n${command.subcommands.map((s) => `  ${s.name.padEnd(12)} ${s.summary}`).join("\n")}\n`
    : "";
  return `${title}: ${shown.summary}\n\nusage: ${shown.usage}\n${shown.help ? `\n${shown.help}\n` : ""}${subs}`;
}

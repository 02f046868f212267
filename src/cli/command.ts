/** What `opm COMMAND --help` prints about a command or subcommand. */
export interface CommandHelp {
  name: string;
  summary: string;
  usage: string;
  /** What `opm COMMAND --help` prints under the usage line: what the command does and each flag. */
  help?: string;
}

/** One `opm` subcommand. */
export interface Command extends CommandHelp {
  /** Its own subcommands (`opm ledger propose`), each answering `opm COMMAND SUB --help`. */
  subcommands?: readonly CommandHelp[];
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

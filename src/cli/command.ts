/** One `opm` subcommand. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** What `opm COMMAND --help` prints under the usage line: what the command does and each flag. */
  help?: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

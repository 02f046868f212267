/** One `opm` subcommand. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

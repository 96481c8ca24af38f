import type { ArgumentsCamelCase, Argv } from "yargs";

/**
 * One CLI command: a thin layer that parses arguments and calls the library. `run` returns the exit code
 * (0 when it returns nothing); throwing a UserError exits 1 with its message, anything else exits 2.
 */
export interface CliCommand<A = object> {
  command: string;
  describe: string;
  builder: (yargs: Argv) => Argv<A>;
  /** Absent on a command that only groups subcommands (`still config validate|print`). */
  run?: (args: ArgumentsCamelCase<A>) => Promise<number | undefined> | number | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: each subcommand has its own argument type
  subcommands?: CliCommand<any>[];
}

export function defineCommand<A>(command: CliCommand<A>): CliCommand<A> {
  return command;
}

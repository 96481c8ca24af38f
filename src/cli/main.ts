import yargs, { type Argv } from "yargs";
import { isUserError } from "../util/errors.js";
import type { CliCommand } from "./command.js";
import { commands } from "./commands/index.js";

const EXIT_OK = 0;
const EXIT_USER = 1;
const EXIT_INTERNAL = 2;

class UsageError extends Error {}

/** Run the `still` CLI on `argv` (without node and script) and resolve to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const cli = yargs(argv)
    .scriptName("still")
    .usage("$0 <command> [options]\n\nstill-rl: RL training of slow-thinking reasoning models (STILL-3).")
    .strict()
    .demandCommand(1, "name a command; `still --help` lists them")
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      // Throwing stops yargs before it runs a handler with arguments it has just rejected.
      throw err ?? new UsageError(msg);
    });
  // biome-ignore lint/suspicious/noExplicitAny: each command has its own argument type
  const register = (parent: Argv, c: CliCommand<any>): void => {
    const builder = (y: Argv) => {
      const built = c.builder(y) as Argv;
      for (const sub of c.subcommands ?? []) register(built, sub);
      return c.subcommands
        ? built.demandCommand(1, `name a subcommand; \`still ${c.command} --help\` lists them`)
        : built;
    };
    parent.command(c.command, c.describe, builder, async (args) => {
      if (c.run) exitCode = (await c.run(args)) ?? EXIT_OK;
    });
  };
  for (const c of commands) register(cli, c);
  try {
    await cli.parseAsync();
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`still: ${err.message}\n(see \`still --help\`)\n`);
      return EXIT_USER;
    }
    if (isUserError(err)) {
      process.stderr.write(`still: ${err.message}\n`);
      return EXIT_USER;
    }
    process.stderr.write(
      `still: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    return EXIT_INTERNAL;
  }
  return exitCode;
}

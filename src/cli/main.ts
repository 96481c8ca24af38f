import yargs, { type Argv } from "yargs";
import { isUserError } from "../util/errors.js";
import type { CliCommand } from "./command.js";
import { commands } from "./commands/index.js";

const EXIT_OK = 0;
const EXIT_USER = 1;
const EXIT_INTERNAL = 2;

class UsageError extends Error {}

/**
 * The `still` executable: guard the standard streams, run `main`, set the exit code. A reader that goes away
 * (`still verify … | head`) ends the process quietly, as a Unix filter does; any other failure to write
 * (stdout on a full disk) is one line and exit 1, never an uncaught stream error with a stack.
 */
export async function runCli(argv: string[]): Promise<void> {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(EXIT_OK);
      if (stream === process.stdout)
        process.stderr.write(`still: cannot write the output: ${err.code ?? err.message}\n`);
      process.exit(EXIT_USER);
    });
  }
  process.exitCode = await main(argv);
}

/**
 * The `still` parser with every command registered; `onCommand` gets the command a command line selects and
 * its parsed arguments (main runs it; tests parse without running anything).
 */
export function buildCli(
  argv: string[],
  // biome-ignore lint/suspicious/noExplicitAny: each command has its own argument type
  onCommand: (command: CliCommand<any>, args: any) => Promise<void>,
): Argv {
  const cli = yargs(argv)
    .scriptName("still")
    .usage("$0 <command> [options]\n\nstill-rl: RL training of slow-thinking reasoning models (STILL-3).")
    .strict()
    .demandCommand(1, "name a command; `still --help` lists them")
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .fail((msg, err) => {
      // Throwing stops yargs before it runs a handler with arguments it has just rejected. yargs wraps what
      // an option's coerce throws (a bad number) in its own YError: that is a usage error too.
      if (err?.name === "YError") throw new UsageError(err.message);
      throw err ?? new UsageError(msg);
    });
  // biome-ignore lint/suspicious/noExplicitAny: each command has its own argument type
  const register = (parent: Argv, c: CliCommand<any>): void => {
    const builder = (y: Argv) => {
      const built = c.builder(oneLineExamples(y)) as Argv;
      for (const sub of c.subcommands ?? []) register(built, sub);
      return c.subcommands
        ? built.demandCommand(1, `name a subcommand; \`still ${c.command} --help\` lists them`)
        : built;
    };
    parent.command(c.command, c.describe, builder, (args) => onCommand(c, args));
  };
  for (const c of commands) register(cli, c);
  return cli;
}

/**
 * yargs prints an example's command in a column capped at half the width, so a longer command wraps mid-way
 * and cannot be pasted. Each example is printed as one shell line instead, its description as a comment.
 */
function oneLineExamples(y: Argv): Argv {
  const proxy: Argv = new Proxy(y, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      // Keep the chain (y.option(…).example(…)) going through the proxy.
      return (...args: unknown[]) => {
        if (prop === "example" && typeof args[0] === "string") {
          const [command, description] = args as [string, string | undefined];
          args = [description ? `${command}  # ${description}` : command, ""];
        }
        const out = value.apply(target, args);
        return out === target ? proxy : out;
      };
    },
  });
  return proxy;
}

/** Run the `still` CLI on `argv` (without node and script) and resolve to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const cli = buildCli(argv, async (c, args) => {
    if (c.run) exitCode = (await c.run(args)) ?? EXIT_OK;
  });
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

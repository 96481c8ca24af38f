import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Argv } from "yargs";
import { ConfigError, loadConfig, printConfig } from "../../config/index.js";
import { defineCommand } from "../command.js";

const withSet = <T>(y: Argv<T>) =>
  y.option("set", {
    type: "string",
    array: true,
    default: [] as string[],
    describe: "Override a value, e.g. --set rollout.n=8 (the value is YAML; repeatable)",
  });

const validateCommand = defineCommand({
  command: "validate <files..>",
  describe: "Check run config files against the schema (exit 1 if any is invalid)",
  builder: (y) =>
    withSet(y)
      .positional("files", {
        type: "string",
        array: true,
        demandOption: true,
        describe: "YAML run configs, or directories to search for *.yaml",
      })
      .example("$0 config validate configs/", "check every preset")
      .example(
        "$0 config validate my.yaml --set algorithm.kl.mode=cosine",
        "check a config with an override",
      ),
  run: ({ files: args, set }) => {
    const files = args.flatMap(expandDirectory);
    let failed = 0;
    for (const file of files) {
      try {
        loadConfig(file, { set });
        process.stdout.write(`ok ${file}\n`);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        failed++;
        process.stderr.write(`${err.message}\n`);
      }
    }
    if (files.length > 1 && failed > 0)
      process.stderr.write(`${failed} of ${files.length} configs invalid\n`);
    return failed > 0 ? 1 : 0;
  },
});

const printCommand = defineCommand({
  command: "print <file>",
  describe: "Print the fully resolved config (extends, env variables, --set and defaults applied) as YAML",
  builder: (y) =>
    withSet(y)
      .positional("file", { type: "string", demandOption: true, describe: "YAML run config" })
      .example("$0 config print configs/still3/zero-32b.yaml --set rollout.n=8", "show what a run would use"),
  run: ({ file, set }) => {
    process.stdout.write(printConfig(loadConfig(file, { set }).config));
    return 0;
  },
});

export const configCommand = defineCommand({
  command: "config",
  describe: "Validate run configs, or print one fully resolved",
  builder: (y) => y.example("$0 config validate configs/", "check every preset"),
  subcommands: [validateCommand, printCommand],
});

/** A directory stands for the YAML files under it, in a stable order. */
function expandDirectory(arg: string): string[] {
  let isDirectory = false;
  try {
    isDirectory = statSync(arg).isDirectory();
  } catch {
    return [arg];
  }
  if (!isDirectory) return [arg];
  return (readdirSync(arg, { recursive: true }) as string[])
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(arg, f));
}

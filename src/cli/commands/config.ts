import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { Argv } from "yargs";
import { configErrorFor, getBackend } from "../../backends/index.js";
import { checkOpenrlhf, openrlhfPython } from "../../backends/openrlhf/check.js";
import { compileOpenrlhf } from "../../backends/openrlhf/compile.js";
import { formatOpenrlhfShell, formatOpenrlhfYaml, openrlhfTargets } from "../../backends/openrlhf/index.js";
import { checkIssues, runVerlCheck } from "../../backends/verl/check.js";
import { formatShell, formatYaml } from "../../backends/verl/compile.js";
import { verlPython } from "../../backends/verl/python.js";
import { BACKENDS, ConfigError, loadConfig, printConfig } from "../../config/index.js";
import { UserError } from "../../util/errors.js";
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

const compileCommand = defineCommand({
  command: "compile <file>",
  describe:
    "Print the exact launch command of a run on an external framework (veRL: main_ppo + Hydra overrides; OpenRLHF: train_ppo_ray flags)",
  builder: (y) =>
    withSet(y)
      .positional("file", { type: "string", demandOption: true, describe: "YAML run config" })
      .option("backend", {
        choices: BACKENDS.filter((b) => b !== "hf"),
        describe: "compile for this backend (default: the config's backend.type)",
      })
      .option("check", {
        type: "boolean",
        default: false,
        describe:
          "also check the overrides against the framework itself (its config, validation and registries)",
      })
      .option("format", {
        choices: ["shell", "yaml"] as const,
        default: "shell" as const,
        describe: "a shell command line, or the arguments as YAML",
      })
      .option("out", {
        type: "string",
        describe: "run directory the command reads and writes (default runs/<name>)",
      })
      .example(
        "$0 config compile configs/still3/table1/kl-cosine.yaml --check",
        "the veRL command, checked by veRL",
      ),
  run: async ({ file, set, backend: chosen, check, format, out }) => {
    const loaded = loadConfig(file, { set });
    const config =
      chosen === undefined
        ? loaded.config
        : { ...loaded.config, backend: { ...loaded.config.backend, type: chosen } };
    const backend = getBackend(config.backend.type);
    if (backend.compile === undefined) {
      throw new UserError(
        `backend.type ${config.backend.type} runs in-process: there is no launch command to compile`,
      );
    }
    const refused = backend.refusals(config);
    if (refused.length > 0) throw configErrorFor(refused, loaded.sources);
    const runDir = out ?? config.run_dir ?? path.join("runs", config.name);
    const launch = backend.compile(config, runDir);
    if (config.backend.type === "openrlhf") {
      const python = config.python ?? openrlhfPython;
      if (check) {
        const result = await checkOpenrlhf(compileOpenrlhf(config, openrlhfTargets(config, runDir)), python);
        if (result.issues.length > 0) throw configErrorFor(result.issues, loaded.sources);
        for (const w of result.warnings) process.stderr.write(`OpenRLHF: ${w}\n`);
      }
      process.stdout.write(
        format === "yaml"
          ? formatOpenrlhfYaml(launch)
          : formatOpenrlhfShell(launch, check ? python : "python"),
      );
      if (check) process.stderr.write(`ok: OpenRLHF accepts the launch of ${file}\n`);
      return 0;
    }
    if (check) {
      const issues = checkIssues(await runVerlCheck(config, launch), launch);
      if (issues.length > 0) throw configErrorFor(issues, loaded.sources);
    }
    const python = check ? verlPython(config) : "python";
    process.stdout.write(format === "yaml" ? formatYaml(launch) : formatShell(launch, python));
    if (check) process.stderr.write(`ok: veRL accepts the launch of ${file}\n`);
    return 0;
  },
});

export const configCommand = defineCommand({
  command: "config",
  describe: "Validate run configs, print one fully resolved, or compile one to a framework's launch command",
  builder: (y) => y.example("$0 config validate configs/", "check every preset"),
  subcommands: [validateCommand, printCommand, compileCommand],
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

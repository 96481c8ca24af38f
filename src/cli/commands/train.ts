import { existsSync } from "node:fs";
import path from "node:path";
import { configErrorFor, getBackend } from "../../backends/index.js";
import { loadConfig } from "../../config/index.js";
import { writeReport } from "../../report/report.js";
import { checkRewardTypes, describeTypeCheck, userRewardFiles } from "../../rewards/typecheck.js";
import { listCheckpoints } from "../../train/checkpoint.js";
import { autoProgress } from "../../train/progress.js";
import { UserError } from "../../util/errors.js";
import { defineCommand } from "../command.js";

/** Exit status of a run stopped by Ctrl-C after saving its checkpoint (128 + SIGINT, as shells expect). */
const EXIT_INTERRUPTED = 130;

export const trainCommand = defineCommand({
  command: "train [config]",
  describe:
    "Train on the config's backend (hf: the built-in driver loop; verl: a veRL job); writes metrics and a report",
  builder: (y) =>
    y
      .positional("config", { type: "string", describe: "YAML run config (optional with --resume)" })
      .option("set", {
        type: "string",
        array: true,
        default: [] as string[],
        describe: "Override a config value, e.g. --set rollout.n=8 (repeatable)",
      })
      .option("out", {
        type: "string",
        describe: "run directory (default: run_dir from the config, or runs/<name>)",
      })
      .option("resume", {
        type: "string",
        describe: "continue the run in this directory from its last checkpoint (its config.yaml is used)",
      })
      .example("$0 train configs/demo.yaml", "the demo: SFT cold start then GRPO on a tiny model")
      .example("$0 train --resume runs/demo", "continue an interrupted run"),
  run: async (args) => {
    let configFile: string;
    let runDir: string;
    if (args.resume !== undefined) {
      if (args.config !== undefined || args.set.length > 0 || args.out !== undefined) {
        throw new UserError(
          "--resume DIR continues the run with its saved config: drop CONFIG, --set and --out",
        );
      }
      runDir = args.resume;
      configFile = path.join(runDir, "config.yaml");
    } else {
      if (args.config === undefined) throw new UserError("name a run config (or --resume DIR)");
      configFile = args.config;
      runDir = "";
    }
    const { config, sources } = loadConfig(configFile, { set: args.set });
    const backend = getBackend(config.backend.type);
    const refused = backend.refusals(config);
    if (refused.length > 0) throw configErrorFor(refused, sources);
    if (args.resume === undefined) runDir = args.out ?? config.run_dir ?? path.join("runs", config.name);
    const resumeFrom = args.resume === undefined ? config.checkpoint.resume_from : undefined;
    const resume =
      args.resume !== undefined ||
      (resumeFrom === undefined && config.checkpoint.resume === "auto" && hasCheckpoint(runDir));

    // A type error in a reward file is a warning (the file may still run fine): about 0.2 s before a long run.
    const check = await checkRewardTypes(userRewardFiles(config));
    for (const line of describeTypeCheck(
      check,
      "training anyway (`still reward test` shows what it does on samples)",
    ))
      process.stderr.write(`${line}\n`);

    const controller = new AbortController();
    const progress = autoProgress(process.stderr, config.logging.every_steps);
    const onSigint = () => {
      if (controller.signal.aborted) {
        process.stderr.write("\ninterrupted again: exiting without a checkpoint\n");
        process.exit(EXIT_INTERRUPTED);
      }
      progress.log(
        config.backend.type === "hf"
          ? "\ninterrupt: finishing the current step, then saving a checkpoint (Ctrl-C again to quit now)"
          : `\ninterrupt: stopping the ${config.backend.type} job (Ctrl-C again to quit now)`,
      );
      controller.abort();
    };
    // SIGTERM as Ctrl-C: a scheduler's stop (Ray's `job stop`, Kubernetes, SLURM) gets the same checkpoint.
    process.on("SIGINT", onSigint);
    process.on("SIGTERM", onSigint);
    try {
      const result = await backend.run({
        config,
        runDir,
        resume,
        ...(resumeFrom !== undefined && { resumeFrom }),
        progress,
        signal: controller.signal,
      });
      // A Ray job on another node leaves the run there (the backend said where): no report here then.
      const report = existsSync(path.join(runDir, "metrics.jsonl"))
        ? await writeReport([runDir], path.join(runDir, "report.html"))
        : "none here (the run directory is on the cluster)";
      const acc = (v: number | undefined) => (v === undefined ? "n/a" : v.toFixed(3));
      process.stderr.write(
        `${result.interrupted ? "interrupted" : "done"}: step ${result.step}/${result.totalSteps} in ${result.wallS.toFixed(0)} s; ` +
          `held-out accuracy after cold start ${acc(result.evalAfterColdStart)}, final ${acc(result.evalFinal)}\n` +
          `report: ${report}\n` +
          (result.interrupted ? `resume with: still train --resume ${runDir}\n` : ""),
      );
      return result.interrupted ? EXIT_INTERRUPTED : 0;
    } finally {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigint);
    }
  },
});

function hasCheckpoint(runDir: string): boolean {
  return listCheckpoints(runDir).length > 0;
}

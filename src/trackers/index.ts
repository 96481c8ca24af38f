import path from "node:path";
import type { RunConfig } from "../config/index.js";
import { resolvePython } from "../pyenv/python.js";
import { TensorBoardTracker } from "./tensorboard.js";
import type { Tracker } from "./types.js";
import { WandbTracker, wandbMode } from "./wandb.js";

export type { Stage, Tracker } from "./types.js";

/**
 * The trackers a run's `logging.loggers` asks for (console and jsonl are the run's own output). TensorBoard
 * event files go to `RUN/tensorboard/`, wandb's files to `RUN/wandb/`. `say` prints a line once (a default
 * that changes what the user may expect, such as wandb falling back to offline mode).
 */
export function openTrackers(config: RunConfig, runDir: string, say: (line: string) => void): Tracker[] {
  const trackers: Tracker[] = [];
  for (const logger of new Set(config.logging.loggers)) {
    if (logger === "tensorboard") {
      const tb = new TensorBoardTracker(path.join(runDir, "tensorboard"));
      say(`tensorboard: ${tb.file} (view with: tensorboard --logdir ${path.dirname(tb.file)})`);
      trackers.push(tb);
    } else if (logger === "wandb") {
      const { notice } = wandbMode(process.env);
      if (notice) say(notice);
      trackers.push(
        new WandbTracker({
          python: resolvePython(config.python).executable,
          project: config.logging.project,
          name: config.logging.experiment ?? config.name,
          dir: runDir,
          config,
          onError: say,
        }),
      );
    }
  }
  return trackers;
}

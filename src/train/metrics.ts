import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Tracker } from "../trackers/index.js";

/**
 * `DIR/metrics.jsonl`: one flat JSON object per line. RL lines carry `step` (eval-only lines too, e.g. step 0
 * after the cold start); SFT lines carry `stage: "sft"` and their own `step`.
 */

export type MetricsLine = { step: number; stage?: "sft" } & Record<string, number | string>;

/** The metric names of an RL step line (issue 6); anything else is an extra. */
export const TRAIN_METRICS = [
  "train/reward_mean",
  "train/accuracy",
  "train/response_length_mean",
  "train/completion_ratio",
  "train/keyword_ratio",
  "train/entropy",
  "train/kl",
  "train/kl_coef",
  "train/grad_norm",
  "train/lr",
  "time/step_s",
  "time/elapsed_s",
] as const;

export function readMetrics(file: string): MetricsLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as MetricsLine);
}

/** Appends lines to metrics.jsonl and hands each to the run's experiment trackers under the same names. */
export class MetricsWriter {
  constructor(
    readonly file: string,
    private readonly trackers: readonly Tracker[] = [],
  ) {}

  append(line: MetricsLine): void {
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
    if (this.trackers.length === 0) return;
    const { step, stage, ...rest } = line;
    const numbers = Object.fromEntries(
      Object.entries(rest).filter((e): e is [string, number] => typeof e[1] === "number"),
    );
    for (const t of this.trackers) t.log(stage === "sft" ? "sft" : "rl", step, numbers);
  }

  async close(): Promise<void> {
    await Promise.all(this.trackers.map((t) => t.close()));
  }

  /** Drops the lines a resumed run will write again (those after its checkpoint). */
  truncate(keep: (line: MetricsLine) => boolean): void {
    const kept = readMetrics(this.file).filter(keep);
    writeFileSync(this.file, kept.map((l) => `${JSON.stringify(l)}\n`).join(""));
  }
}

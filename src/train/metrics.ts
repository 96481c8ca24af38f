import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

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

export class MetricsWriter {
  constructor(readonly file: string) {}

  append(line: MetricsLine): void {
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }

  /** Drops the lines a resumed run will write again (those after its checkpoint). */
  truncate(keep: (line: MetricsLine) => boolean): void {
    const kept = readMetrics(this.file).filter(keep);
    writeFileSync(this.file, kept.map((l) => `${JSON.stringify(l)}\n`).join(""));
  }
}

/** SFT lines count their own steps (`stage: "sft"` in metrics.jsonl); RL lines count policy updates. */
export type Stage = "sft" | "rl";

/**
 * An experiment tracker: receives every metrics line a run writes to `metrics.jsonl`, under the same names.
 * `close` flushes and waits, so a finished run's tracker data is complete on disk.
 */
export interface Tracker {
  readonly name: string;
  log(stage: Stage, step: number, metrics: Readonly<Record<string, number>>): void;
  close(): Promise<void>;
}

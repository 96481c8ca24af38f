import { z } from "zod";
import { filePath, positiveInt } from "./common.js";

export const dataSchema = z.strictObject({
  /** JSONL or Parquet files of questions with ground-truth answers. */
  train_files: z.array(filePath()).default([]),
  /** Held-out files scored during training (the eval block has its own benchmark list). */
  eval_files: z.array(filePath()).default([]),
  prompt_key: z.string().min(1).default("problem"),
  answer_key: z.string().min(1).default("answer"),
  /** Column naming the data source, passed to rewards (veRL's `data_source`). */
  source_key: z.string().min(1).default("data_source"),
  shuffle: z.boolean().default(true),
  seed: z.number().int().default(42),
  /** Use at most this many training questions (null: all). */
  max_samples: positiveInt().nullable().default(null),
});

export type DataConfig = z.output<typeof dataSchema>;

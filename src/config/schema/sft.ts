import { z } from "zod";
import { lrScheduleSchema } from "./algorithm.js";
import { filePath, nonNegative, positiveInt, probability } from "./common.js";

/** Supervised fine-tuning before RL (cold start, §4.1) or on its own (STILL-3-Tool-32B, §4.4). */
export const sftSchema = z.strictObject({
  /** JSONL files of prompt/response pairs. */
  train_files: z.array(filePath()).min(1),
  prompt_key: z.string().min(1).default("prompt"),
  response_key: z.string().min(1).default("response"),
  lr: z.number().positive().default(1e-5),
  lr_schedule: lrScheduleSchema.default(() => lrScheduleSchema.parse({})),
  /** Sequences per optimizer step. */
  batch_size: positiveInt().default(64),
  epochs: positiveInt().default(1),
  /** Prompt + response tokens; longer samples are truncated. */
  max_length: positiveInt().default(16_384),
  max_grad_norm: z.number().positive().default(1.0),
  weight_decay: nonNegative().default(0),
  /** Exclude tool outputs from the loss (STILL-3-TOOL did not: false reproduces it). */
  mask_tool_outputs: z.boolean().default(false),
  /** Fraction of the data held out for validation loss. */
  eval_fraction: probability().default(0),
});

export type SftConfig = z.output<typeof sftSchema>;

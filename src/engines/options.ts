/**
 * The option payloads of the engine operations, as zod schemas: the source of their TS types (engine.ts) and of
 * the Python mirror in python/still_rl/engines/hf/options.py (same fields in snake_case; test/bridge/drift.test.ts
 * compares the two), so no rename table is kept by hand.
 */
import { z } from "zod";
import { KL_ESTIMATORS, LOSS_AGGREGATIONS } from "../algorithms/losses.js";

export const SamplingParams = z.strictObject({
  /** Samples per input. */
  n: z.int(),
  temperature: z.number(),
  topP: z.number(),
  /** 0 or less: no top-k filtering. */
  topK: z.int(),
  maxNewTokens: z.int(),
  /** Generation stops after the first of these strings appears in the new text (it is kept in the output). */
  stop: z.array(z.string()),
  /** Seed for this call's sampling, so a run is reproducible step by step. */
  seed: z.int(),
  /**
   * Also return the log-probability of every sampled token under the sampling policy: log softmax(logits / T)
   * before top-k/top-p truncation (what `logprobs` with the same temperature recomputes; T <= 0 means greedy
   * and T = 1 for the log-probs).
   */
  returnLogprobs: z.boolean(),
});
export type SamplingParams = z.infer<typeof SamplingParams>;

/** The loss is veRL's: clipped ratio (with its dual clip at 3 for negative advantages) + klCoef·KL − entropyCoef·H. */
export const UpdateOptions = z.strictObject({
  lr: z.number(),
  /** AdamW weight decay for this call's steps (default 0.01, veRL's actor default). */
  weightDecay: z.number().optional(),
  clipRatioLow: z.number(),
  clipRatioHigh: z.number(),
  klCoef: z.number(),
  klEstimator: z.enum(KL_ESTIMATORS),
  entropyCoef: z.number(),
  lossAggregation: z.enum(LOSS_AGGREGATIONS),
  /** Gradients are clipped to this global norm; 0 or less: not clipped (the norm is still reported). */
  maxGradNorm: z.number(),
  /** Samples per optimizer step; the batch is split into mini-batches of this size (0: the whole batch). */
  miniBatchSize: z.int(),
  /** Passes over the batch (more than one mini-batch or epoch makes later steps off-policy). */
  epochs: z.int(),
  /** Seeds the mini-batch shuffle (each epoch is shuffled when there is more than one mini-batch or epoch). */
  seed: z.int(),
  /**
   * The sampling temperature: log-probs in the loss are of softmax(logits / T), as in veRL, so the ratio is 1
   * on the first on-policy step. Default 1.
   */
  temperature: z.number().optional(),
});
export type UpdateOptions = z.infer<typeof UpdateOptions>;

export const SftOptions = z.strictObject({
  lr: z.number(),
  /** AdamW weight decay for this call's steps (default 0.01). */
  weightDecay: z.number().optional(),
  maxGradNorm: z.number(),
  miniBatchSize: z.int(),
});
export type SftOptions = z.infer<typeof SftOptions>;

/** Every option payload, by the name its Python mirror has. */
export const ENGINE_PAYLOADS = { SamplingParams, UpdateOptions, SftOptions } as const;

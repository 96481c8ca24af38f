import { z } from "zod";
import { ADVANTAGE_ESTIMATOR_NAMES } from "../../algorithms/advantage.js";
import { KL_ESTIMATORS, LOSS_AGGREGATIONS } from "../../algorithms/losses.js";
import { nonNegative, nonNegativeInt, positiveInt, probability } from "./common.js";

const klCommon = {
  estimator: z.enum(KL_ESTIMATORS).default("low_var_kl"),
  /** `loss`: a KL term in the actor loss (GRPO, veRL use_kl_loss); `reward`: subtracted from the reward (PPO). */
  placement: z.enum(["loss", "reward"]).default("loss"),
};

/**
 * KL penalty against the reference model, one shape per mode. `fixed` uses `coef`; `cosine` anneals from `from`
 * to `to` over `steps` training steps (report §3.1.1: 1e-3 → 0), then stays at `to`.
 */
export const klSchema = z.discriminatedUnion("mode", [
  z.strictObject({ mode: z.literal("none"), ...klCommon }),
  z.strictObject({ mode: z.literal("fixed"), coef: nonNegative(), ...klCommon }),
  z.strictObject({
    mode: z.literal("cosine"),
    from: nonNegative(),
    to: nonNegative().default(0),
    steps: positiveInt(),
    ...klCommon,
  }),
]);

export const lrScheduleSchema = z.strictObject({
  type: z.enum(["constant", "cosine"]).default("constant"),
  warmup_steps: nonNegativeInt().default(0),
  /** Floor of the cosine schedule as a fraction of `lr`. */
  min_lr_ratio: probability().default(0),
});

const algorithmFields = z.strictObject({
  advantage_estimator: z.enum(ADVANTAGE_ESTIMATOR_NAMES).default("grpo"),
  /** GRPO divides group-centred rewards by the group std; false gives Dr. GRPO-style mean-only centring. */
  norm_adv_by_std: z.boolean().default(true),
  /** Prompts per training step (the report's TBS); samples per step = this × rollout.n. */
  train_batch_size: positiveInt().default(128),
  /**
   * Prompts per optimizer step (veRL's ppo_mini_batch_size); defaults to train_batch_size. On-policy ⇔
   * mini_batch_size = train_batch_size and epochs = 1; anything else makes later updates off-policy.
   */
  mini_batch_size: positiveInt().optional(),
  epochs: positiveInt().default(1),
  lr: z.number().positive().default(1e-6),
  lr_schedule: lrScheduleSchema.default(() => lrScheduleSchema.parse({})),
  clip_ratio_low: nonNegative().default(0.2),
  clip_ratio_high: nonNegative().default(0.2),
  loss_aggregation: z.enum(LOSS_AGGREGATIONS).default("token-mean"),
  entropy_coef: nonNegative().default(0),
  max_grad_norm: z.number().positive().default(1.0),
  /** AdamW weight decay of the policy optimizer (veRL's actor default). */
  weight_decay: z.number().nonnegative().default(0.01),
  /** GAE discount and lambda (advantage_estimator gae only). */
  gamma: probability().default(1.0),
  lam: probability().default(1.0),
  kl: klSchema.default(() => klSchema.parse({ mode: "none" })),
  /** Replace the reference model by the current policy every N steps (STILL-3-1.5B); null: never. */
  reference_reset_every: positiveInt().nullable().default(null),
  /** Training stops after this many steps, or after `total_epochs` passes over the data, whichever is first. */
  total_steps: positiveInt().nullable().default(null),
  total_epochs: positiveInt().default(1),
});

export const algorithmSchema = algorithmFields
  .superRefine((a, ctx) => {
    const mini = a.mini_batch_size ?? a.train_batch_size;
    if (mini > a.train_batch_size) {
      ctx.addIssue({
        code: "custom",
        path: ["mini_batch_size"],
        message: `expected at most train_batch_size (${a.train_batch_size}), got ${mini}`,
      });
    } else if (a.train_batch_size % mini !== 0) {
      ctx.addIssue({
        code: "custom",
        path: ["mini_batch_size"],
        message: `expected a divisor of train_batch_size (${a.train_batch_size}), got ${mini}`,
      });
    }
    if (a.reference_reset_every !== null && a.kl.mode === "none") {
      ctx.addIssue({
        code: "custom",
        path: ["reference_reset_every"],
        message: "has no effect with kl.mode none (there is no reference model)",
      });
    }
  })
  .transform((a) => ({ ...a, mini_batch_size: a.mini_batch_size ?? a.train_batch_size }));

export type KlConfig = z.output<typeof klSchema>;
export type LrScheduleConfig = z.output<typeof lrScheduleSchema>;
export type AlgorithmConfig = z.output<typeof algorithmSchema>;
export type KlMode = KlConfig["mode"];

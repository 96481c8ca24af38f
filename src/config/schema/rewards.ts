import { z } from "zod";
import { BUILTIN_CONFIGS } from "../../rewards/registry.js";
import { durationMs, filePath } from "./common.js";

/**
 * Reward components (report §2, §4.2). The sample's reward is the weighted sum of its components; a
 * `format` component in `gate` mode zeroes the whole reward when the format is wrong (STILLZero). The
 * built-in components and their parameters come from the registry (src/rewards/registry.ts).
 */

export const customRewardSchema = z.strictObject({
  name: z.literal("custom"),
  weight: z.number().default(1),
  /** A .ts/.js file exporting a reward function. */
  path: filePath(),
  /** Export name of the function in that file. */
  export: z.string().min(1).default("default"),
  /** Passed to the function as its second argument. */
  params: z.record(z.string(), z.unknown()).default({}),
});

export const rewardComponentSchema = z.discriminatedUnion("name", [...BUILTIN_CONFIGS, customRewardSchema]);

/** orm: overlong response masking; qs: question selection; rs: response selection (report §4.2). */
export const GROUP_STRATEGIES = ["orm", "qs", "rs"] as const;

export const rewardsSchema = z
  .strictObject({
    components: z
      .array(rewardComponentSchema)
      .min(1)
      .default(() => [rewardComponentSchema.parse({ name: "correctness" })]),
    group_strategies: z.array(z.enum(GROUP_STRATEGIES)).default([]),
    /** Score given to a sample whose reward throws or misses its deadline (the sample is flagged in the log). */
    fallback_score: z.number().default(0),
    /** Per-sample wall-clock deadline of the reward service. */
    deadline_ms: durationMs().default(10_000),
  })
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.group_strategies.forEach((s, i) => {
      if (seen.has(s))
        ctx.addIssue({ code: "custom", path: ["group_strategies", i], message: `duplicate "${s}"` });
      seen.add(s);
    });
    const hasCorrectness = r.components.some((c) => c.name === "correctness");
    for (const s of ["qs", "rs"] as const) {
      const i = r.group_strategies.indexOf(s);
      if (i >= 0 && !hasCorrectness) {
        ctx.addIssue({
          code: "custom",
          path: ["group_strategies", i],
          message: `${s} compares correct and wrong responses: add a correctness component`,
        });
      }
    }
  });

export type RewardComponent = z.output<typeof rewardComponentSchema>;
export type RewardComponentName = RewardComponent["name"];
export type CustomReward = z.output<typeof customRewardSchema>;
export type GroupStrategy = (typeof GROUP_STRATEGIES)[number];
export type RewardsConfig = z.output<typeof rewardsSchema>;

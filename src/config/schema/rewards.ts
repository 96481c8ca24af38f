import { z } from "zod";
import { durationMs, filePath, positiveInt } from "./common.js";

/**
 * Reward components (report §2, §4.2). The sample's reward is the weighted sum of its components; a
 * `format` component in `gate` mode zeroes the whole reward when the format is wrong (STILLZero).
 */

const weight = () => z.number().default(1);

export const CORRECTNESS_VARIANTS = ["binary", "plus_minus", "still_1p5b"] as const;

export const correctnessRewardSchema = z.strictObject({
  name: z.literal("correctness"),
  weight: weight(),
  /** binary: 1/0; plus_minus: +1/−1; still_1p5b: +1 correct, −1 wrong, −2 when no \boxed{} (STILL's server). */
  variant: z.enum(CORRECTNESS_VARIANTS).default("binary"),
  /** Where the final answer is read: the last \boxed{} or the <answer> tag (R1-Zero-style prompts). */
  extract: z.enum(["boxed", "answer_tag"]).default("boxed"),
});

export const formatRewardSchema = z.strictObject({
  name: z.literal("format"),
  weight: weight(),
  /** gate: reward is 0 unless the response is `<think>…</think> <answer>…</answer>`; bonus: adds weight when it is. */
  mode: z.enum(["gate", "bonus"]).default("gate"),
});

export const lengthRewardSchema = z.strictObject({
  name: z.literal("length"),
  weight: weight(),
  /** RRL's L_max in tokens; null: rollout.max_response_length (with context stages, the widest one). */
  l_max: positiveInt().nullable().default(null),
});

export const DEFAULT_REASONING_KEYWORDS = ["however", "but", "wait", "verify", "alternatively"];

export const reasoningActionRewardSchema = z.strictObject({
  name: z.literal("reasoning_action"),
  weight: weight(),
  /** Counted case-insensitively as whole words. */
  keywords: z.array(z.string().min(1)).min(1).default(DEFAULT_REASONING_KEYWORDS),
  a_max: positiveInt().default(20),
});

export const toolUseRewardSchema = z.strictObject({
  name: z.literal("tool_use"),
  weight: weight(),
  /** Added once when the response made at least one successful tool call. */
  bonus: z.number().default(0),
  /** Subtracted per tool call that failed (error, timeout, output cap). */
  error_penalty: z.number().default(0),
});

export const customRewardSchema = z.strictObject({
  name: z.literal("custom"),
  weight: weight(),
  /** A .ts/.js file exporting a reward function. */
  path: filePath(),
  /** Export name of the function in that file. */
  export: z.string().min(1).default("default"),
  /** Passed to the function as its second argument. */
  params: z.record(z.string(), z.unknown()).default({}),
});

export const rewardComponentSchema = z.discriminatedUnion("name", [
  correctnessRewardSchema,
  formatRewardSchema,
  lengthRewardSchema,
  reasoningActionRewardSchema,
  toolUseRewardSchema,
  customRewardSchema,
]);

export const REWARD_COMPONENT_NAMES = [
  "correctness",
  "format",
  "length",
  "reasoning_action",
  "tool_use",
  "custom",
] as const;

/** orm: overlong response masking; qs: question selection; rs: response selection (report §4.2). */
export const GROUP_STRATEGIES = ["orm", "qs", "rs"] as const;

export const rewardsSchema = z
  .strictObject({
    components: z
      .array(rewardComponentSchema)
      .min(1)
      .default(() => [correctnessRewardSchema.parse({ name: "correctness" })]),
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
export type CorrectnessReward = z.output<typeof correctnessRewardSchema>;
export type FormatReward = z.output<typeof formatRewardSchema>;
export type LengthReward = z.output<typeof lengthRewardSchema>;
export type ReasoningActionReward = z.output<typeof reasoningActionRewardSchema>;
export type ToolUseReward = z.output<typeof toolUseRewardSchema>;
export type CustomReward = z.output<typeof customRewardSchema>;
export type GroupStrategy = (typeof GROUP_STRATEGIES)[number];
export type RewardsConfig = z.output<typeof rewardsSchema>;

import { describe, expect, it } from "vitest";
import {
  ADVANTAGE_ESTIMATOR_NAMES,
  type AdvantageEstimatorName,
  groupAdvantages,
} from "../../src/algorithms/advantage.js";
import { algorithmSchema } from "../../src/config/schema/algorithm.js";

const opts = { epsilon: 1e-6, normByStd: true };
const scored = (rewards: readonly number[]) => rewards.map((reward) => ({ reward, length: 10 }));

describe("advantage estimators", () => {
  const s = Math.sqrt(1 / 3); // unbiased std of [1, 0, 0, 0] is 0.5; of [1,1,0,0] is sqrt(1/3)
  it.each([
    ["grpo, one correct of four", "grpo", true, [1, 0, 0, 0], [1.5, -0.5, -0.5, -0.5]],
    ["grpo, two of four", "grpo", true, [1, 1, 0, 0], [0.5 / s, 0.5 / s, -0.5 / s, -0.5 / s]],
    ["grpo, all correct: zero", "grpo", true, [1, 1, 1], [0, 0, 0]],
    ["grpo, all wrong: zero", "grpo", true, [0, 0, 0], [0, 0, 0]],
    ["grpo std off (Dr. GRPO)", "grpo", false, [1, 0, 0, 0], [0.75, -0.25, -0.25, -0.25]],
    ["rloo", "rloo", true, [1, 0, 0, 0], [1, -1 / 3, -1 / 3, -1 / 3]],
    ["reinforce_baseline before whitening", "reinforce_baseline", true, [1, 0], [0.5, -0.5]],
    ["reinforce++ before whitening", "reinforce++", true, [1, 0], [1, 0]],
    ["lone sample keeps its reward (veRL)", "grpo", true, [0.7], [0.7]],
    ["empty group", "grpo", true, [], []],
  ] as const)("%s", (_, name, normByStd, rewards, want) => {
    const got = groupAdvantages(name, scored(rewards), { ...opts, normByStd });
    expect(got).toHaveLength(want.length);
    for (const [i, g] of got.entries()) expect(g).toBeCloseTo(want[i]!, 4);
  });

  it("opo subtracts the length-weighted mean of the group", () => {
    // Baseline (10·1 + 30·0) / 40 = 0.25: the long wrong answer pulls it towards 0.
    const got = groupAdvantages(
      "opo",
      [
        { reward: 1, length: 10 },
        { reward: 0, length: 30 },
      ],
      opts,
    );
    expect(got[0]).toBeCloseTo(0.75, 10);
    expect(got[1]).toBeCloseTo(-0.25, 10);
    expect(groupAdvantages("opo", [{ reward: 0.4, length: 7 }], opts)).toEqual([0.4]);
  });

  it("every registered estimator can be chosen in a config, and nothing else", () => {
    for (const name of ADVANTAGE_ESTIMATOR_NAMES)
      expect(algorithmSchema.parse({ advantage_estimator: name }).advantage_estimator).toBe(name);
    const bad = algorithmSchema.safeParse({ advantage_estimator: "grpo_no_std" as AdvantageEstimatorName });
    expect(bad.success).toBe(false);
  });
});

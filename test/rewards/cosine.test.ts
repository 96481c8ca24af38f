import { describe, expect, it } from "vitest";
import { runConfigSchema } from "../../src/config/schema/index.js";
import { cosineInterpolate, cosineReward } from "../../src/rewards/cosine.js";
import { planFromConfig } from "../../src/rewards/plan.js";

const paper = { lMax: 1000, correctShort: 2, correctLong: 1, wrongShort: -10, wrongLong: 0, exceed: -10 };

describe("cosine length reward", () => {
  it.each([
    ["correct, empty", "correct", 0, false, 2],
    ["correct, half way", "correct", 500, false, 1.5],
    ["correct, at L_max", "correct", 1000, false, 1],
    ["wrong, empty", "wrong", 0, false, -10],
    ["wrong, half way", "wrong", 500, false, -5],
    ["unanswered counts as wrong", "unanswered", 1000, false, 0],
    ["cut at the limit", "correct", 1000, true, -10],
  ] as const)("%s", (_, verdict, length, truncated, want) => {
    expect(cosineReward(verdict, length, truncated, paper)).toBeCloseTo(want, 10);
  });

  it("is monotone in length and flat past L_max", () => {
    const xs = [0, 100, 400, 700, 1000].map((t) => cosineInterpolate(t, 1000, 2, 1));
    for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeLessThan(xs[i - 1]!);
    expect(cosineInterpolate(5000, 1000, 2, 1)).toBe(1);
  });

  it("is configured like any built-in and takes L_max from the rollout budget", () => {
    const config = runConfigSchema.parse({
      model: { path: "m" },
      rollout: { max_response_length: 512 },
      rewards: { components: [{ name: "cosine_length", wrong_short: -5 }] },
    });
    expect(planFromConfig(config).builtins).toEqual([
      {
        kind: "cosine_length",
        name: "cosine_length",
        weight: 1,
        params: { ...paper, lMax: 512, wrongShort: -5 },
      },
    ]);
  });
});

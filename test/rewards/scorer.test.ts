import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runConfigSchema } from "../../src/config/schema/index.js";
import { planFromConfig } from "../../src/rewards/plan.js";
import { RewardScorer } from "../../src/rewards/scorer.js";
import type { RewardSample } from "../../src/rewards/types.js";

const fixtures = path.join(import.meta.dirname, "fixtures");

function plan(rewards: unknown, extra: Record<string, unknown> = {}) {
  return planFromConfig(runConfigSchema.parse({ model: { path: "m" }, rewards, ...extra }), fixtures);
}

const sample = (response: string, o: Partial<RewardSample> = {}): RewardSample => ({
  prompt: "Q: 6*7?",
  response,
  truncated: false,
  groundTruth: "42",
  extra: {},
  ...o,
});

const scorers: RewardScorer[] = [];
async function start(...args: Parameters<typeof RewardScorer.start>) {
  const s = await RewardScorer.start(...args);
  scorers.push(s);
  return s;
}
afterAll(() => Promise.all(scorers.map((s) => s.close())));

describe("RewardScorer", () => {
  it("composes weighted components and logs each", async () => {
    const s = await start(
      plan(
        {
          components: [
            { name: "correctness", variant: "still_1p5b" },
            { name: "reasoning_action", weight: 0.5 },
            { name: "length", l_max: 100 },
            { name: "custom", path: "concise.ts", params: { budget: 100 }, weight: 2 },
          ],
        },
        { rollout: { max_response_length: 100 } },
      ),
      { threads: 1, userThreads: 1 },
    );
    const [a, b] = await s.score([
      sample("Wait, but 6*7 = \\boxed{42}", { responseTokens: 50 }),
      sample("I think it is 41", { responseTokens: 20 }),
    ]);
    // correctness 1 + 0.5 * (2/20 + 1) + (50/100 + 1) + 2 * (1 - 50/100)
    expect(a!.reward).toBeCloseTo(1 + 0.5 * 1.1 + 1.5 + 1, 9);
    expect(a!.components).toMatchObject({
      correctness: 1,
      reasoning_action: 1.1,
      "reasoning_action.actions": 2,
      length: 1.5,
      concise: 0.5,
      acc: 1,
      length_tokens: 50,
      kw_reflection: 1,
      kw_correction: 0,
    });
    // no box: -2 + 0.5 * (0 - 1) + (0.2 - 1) + 2 * 0.8
    expect(b!.reward).toBeCloseTo(-2 - 0.5 - 0.8 + 1.6, 9);
    expect(b!.verdict).toBe("unanswered");
    expect(a!.advantage).toBeUndefined();
  });

  it("format in gate mode zeroes the reward of a badly formatted response (STILLZero)", async () => {
    const s = await start(
      plan({
        components: [
          { name: "correctness", extract: "answer_tag" },
          { name: "format", mode: "gate" },
        ],
      }),
      { threads: 1 },
    );
    const prompt = "User: 6*7? Assistant:\n<think>";
    const [good, bad] = await s.score([
      sample(" 6*7 </think> <answer>42</answer>", { prompt }),
      sample(" 6*7 </think> The answer: <answer>42</answer>", { prompt }),
    ]);
    expect([good!.reward, good!.components.format]).toEqual([1, 1]);
    expect([bad!.reward, bad!.components.format, bad!.components.correctness]).toEqual([0, 0, 1]);
  });

  it("estimates the length when no token count is given, and says so", async () => {
    const s = await start(plan({ components: [{ name: "length", l_max: 10 }] }), { threads: 1 });
    const [r] = await s.score([sample("x".repeat(20))]);
    expect(r!.components).toMatchObject({ length_tokens: 5, length_estimated: 1 });
  });

  it("applies group strategies to samples that carry a group id", async () => {
    const s = await start(plan({ components: [{ name: "correctness" }], group_strategies: ["orm"] }), {
      threads: 2,
    });
    const out = await s.score([
      sample("\\boxed{42}", { group: "p1", responseTokens: 10 }),
      sample("\\boxed{7}", { group: "p1", responseTokens: 10 }),
      sample("6*7 is", { group: "p1", responseTokens: 99, truncated: true }),
      sample("\\boxed{42}", { group: "p2" }),
      sample("\\boxed{42}", { group: "p2" }),
      sample("lonely, no group"),
    ]);
    expect(out.map((o) => o.included)).toEqual([true, true, false, true, true, undefined]);
    expect(out[0]!.advantage).toBeCloseTo(0.5 / Math.sqrt(0.5), 4);
    expect(out[2]!.reason).toBe("orm: truncated at the length limit");
    expect(out[3]!.advantage).toBe(0); // all correct
  });

  it("fault test: a reward throwing on 10% and hanging on 1% still completes within the deadline", async () => {
    const deadlineMs = 300;
    const s = await start(
      plan({
        components: [{ name: "correctness" }, { name: "custom", path: "faulty.ts" }],
        fallback_score: -1,
        deadline_ms: deadlineMs,
      }),
      { threads: 1, userThreads: 2 },
    );
    const samples = Array.from({ length: 400 }, (_, id) => sample("\\boxed{42}", { extra: { id } }));
    const t0 = Date.now();
    const out = await s.score(samples, { deadlineMs: 10_000 });
    const elapsed = Date.now() - t0;
    const hung = out.filter((_, id) => id % 100 === 99);
    const threw = out.filter((_, id) => id % 100 !== 99 && id % 10 === 0);
    const fine = out.filter((_, id) => id % 100 !== 99 && id % 10 !== 0);
    expect(hung.every((o) => o.reward === -1 && o.components["faulty.timeout"] === 1)).toBe(true);
    expect(threw.every((o) => o.reward === -1 && o.components["faulty.error"] === 1)).toBe(true);
    expect(fine.every((o) => o.reward === 1.5 && o.components.faulty === 0.5)).toBe(true);
    expect(s.restarts).toBe(4);
    // Four hangs on two workers cost about two deadlines each; nowhere near the batch deadline.
    expect(elapsed).toBeLessThan(10_000);
    // The scorer is still usable afterwards.
    const [again] = await s.score([sample("\\boxed{42}", { extra: { id: 1 } })]);
    expect(again!.reward).toBe(1.5);
  });

  it("an async reward that never settles times out without a worker restart", async () => {
    const s = await start(
      plan({
        components: [{ name: "custom", path: "faulty.ts", params: { hang: "async" } }],
        deadline_ms: 100,
      }),
      { threads: 1, userThreads: 1 },
    );
    const out = await s.score([sample("a", { extra: { id: 99 } }), sample("b", { extra: { id: 1 } })]);
    expect(out[0]!.components["faulty.timeout"]).toBe(1);
    expect(out[1]!.components.faulty).toBe(0.5);
    expect(s.restarts).toBe(0);
  });

  it("a reward that ends its worker thread fails that sample only", async () => {
    const s = await start(plan({ components: [{ name: "custom", path: "exits.ts" }], fallback_score: -1 }), {
      threads: 1,
      userThreads: 1,
    });
    const out = await s.score(Array.from({ length: 10 }, (_, id) => sample("x", { extra: { id } })));
    expect(out.map((o) => o.reward)).toEqual([1, 1, 1, 1, 1, -1, 1, 1, 1, 1]);
    expect(out[5]!.components["exits.error"]).toBe(1);
    expect(s.restarts).toBe(1);
  });

  it("the batch deadline bounds the whole call", async () => {
    const s = await start(
      plan({ components: [{ name: "custom", path: "faulty.ts" }], deadline_ms: 5_000, fallback_score: 0 }),
      { threads: 1, userThreads: 1 },
    );
    const t0 = Date.now();
    const out = await s.score([sample("a", { extra: { id: 1 } }), sample("b", { extra: { id: 99 } })], {
      deadlineMs: 300,
    });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(out[0]!.components.faulty).toBe(0.5);
    expect(out[1]!.components["faulty.timeout"]).toBe(1);
  });

  it("a file that does not export a reward fails at start, naming the file", async () => {
    await expect(
      RewardScorer.start(plan({ components: [{ name: "custom", path: "not-a-reward.ts" }] }), { threads: 1 }),
    ).rejects.toThrow(
      /not-a-reward\.ts: expected defineReward\(\{ name, score\(sample\) \{ \.\.\. \} \}\), got 42/,
    );
    await expect(
      RewardScorer.start(plan({ components: [{ name: "custom", path: "missing.ts" }] }), { threads: 1 }),
    ).rejects.toThrow(/cannot load reward .*missing\.ts/);
  });
});

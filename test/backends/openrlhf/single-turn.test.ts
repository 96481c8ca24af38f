import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planFromConfig } from "../../../src/rewards/plan.js";
import { type RewardService, serveRewards } from "../../../src/rewards/service.js";
import { loadTokenCounter } from "../../../src/rewards/tokens.js";
import { fixtures, runConfig, runFixture, tinyModel } from "./helpers.js";

interface Out {
  reward: number[] | null;
  scores: number[] | null;
  extra_logs: Record<string, number[]>;
  truncated: boolean;
  experience: { info: Record<string, number>; rewards: number | null; scores: number | null };
}

describe("OpenRLHF's SingleTurnAgentExecutor against the still-rl reward service (--reward.remote_url)", () => {
  let service: RewardService;
  let model: string;
  beforeAll(async () => {
    model = await tinyModel();
    const config = runConfig({
      rewards: {
        components: [
          { name: "correctness", variant: "still_1p5b" },
          { name: "custom", path: "picky.ts" },
        ],
        fallback_score: -1,
        deadline_ms: 1_000,
      },
    });
    // As the launcher starts it: HTTP only, token counts from the run's tokenizer.
    service = await serveRewards(planFromConfig(config, fixtures), {
      http: { port: 0, tokens: loadTokenCounter(model) },
      threads: 1,
      signals: false,
    });
  }, 120_000);
  afterAll(() => service?.stop());

  it("rewards, scores and extra_logs reach the executor's output and the Experience; a throwing or hanging reward gets the flagged fallback", async () => {
    const cases = [
      { response: "6*7 is \\boxed{42}.<|endoftext|>", label: "42" },
      { response: "It is \\boxed{41}.<|endoftext|>", label: "42" },
      { response: "THROW \\boxed{42}<|endoftext|>", label: "42" },
      { response: "HANG \\boxed{42}<|endoftext|>", label: "42" },
      { response: "Let me think about this for a long while", label: "42", max_tokens: 12 },
    ];
    const started = Date.now();
    const rows = (await runFixture(
      "single_turn.py",
      [`${service.http!.url}/get_reward`, model, JSON.stringify(cases)],
      {},
      240_000,
    )) as unknown as Out[];
    expect(rows).toHaveLength(cases.length);
    // No None reward anywhere: every sample has a number in the output and in the Experience.
    // (One request per sample, so each field is OpenRLHF's one-element list, as its own serve_rm returns.)
    for (const r of rows) {
      expect(r.reward).toEqual([expect.any(Number)]);
      expect(r.experience.rewards).toBe(r.reward![0]);
      expect(r.experience.info.reward).toBe(r.reward![0]);
      expect(r.experience.scores).toBe(r.scores![0]);
    }
    const [right, wrong, threw, hung, cut] = rows.map((r) => ({
      ...r,
      reward: r.reward![0]!,
      scores: r.scores![0]!,
    })) as (Out & { reward: number; scores: number })[] as [
      Out & { reward: number; scores: number },
      Out & { reward: number; scores: number },
      Out & { reward: number; scores: number },
      Out & { reward: number; scores: number },
      Out & { reward: number; scores: number },
    ];
    // still_1p5b correctness: +1 right, -1 wrong; picky adds 0.5 when it answers.
    expect(right.reward).toBeGreaterThan(wrong.reward);
    expect(right.scores).toBe(1);
    expect(wrong.scores).toBe(0);
    expect(right.experience.info.acc).toBe(1);
    expect(right.experience.info.picky).toBe(0.5);
    // The faulty user reward: the configured fallback (-1) with its flag, the rest of the sample still scored.
    expect(threw.experience.info["picky.error"]).toBe(1);
    expect(hung.experience.info["picky.timeout"]).toBe(1);
    expect(threw.experience.info.acc).toBe(1);
    expect(hung.experience.info.acc).toBe(1);
    expect(threw.reward).toBeLessThan(right.reward);
    expect(hung.reward).toBe(threw.reward);
    // A hang costs the deadline, not OpenRLHF's 180 s client timeout.
    expect(Date.now() - started).toBeLessThan(120_000);
    // Token counts from the run's tokenizer: a response cut at max_tokens counts as truncated (no EOS).
    expect(cut.truncated).toBe(true);
    expect(cut.experience.info.length_tokens).toBe(12);
    expect(right.experience.info.length_tokens).toBeGreaterThan(10);
  }, 300_000);
});

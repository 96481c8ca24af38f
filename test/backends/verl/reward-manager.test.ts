import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVerlServices, type VerlServices } from "../../../src/backends/verl/services.js";
import { fixtures, runConfig, runFixture, tinyModel } from "./helpers.js";

describe("still reward manager inside veRL's reward loop, against the TS reward service", () => {
  let services: VerlServices;
  let model: string;
  beforeAll(async () => {
    model = await tinyModel();
    services = await startVerlServices({
      config: runConfig({
        rewards: {
          components: [
            { name: "correctness" },
            { name: "custom", path: path.join(fixtures, "text_faults.ts") },
          ],
          fallback_score: -1,
          deadline_ms: 500,
        },
      }),
      runDir: path.dirname(model),
    });
  }, 120_000);
  afterAll(() => services?.close());

  it("scores a DataProto in one round trip per batch, with flagged fallbacks for throwing and hanging rewards, in RewardLoopWorker and RewardLoopManager", async () => {
    const [worker, text, bad, dead, manager] = await runFixture(
      "reward_loop.py",
      [model],
      services.env,
      240_000,
    );
    // 12 samples: i % 6 == 5 hangs, i % 6 == 2 throws; even i answer 42 (correct). Row 3 is cut at the budget.
    const samples = (worker as { samples: Record<string, number | null>[] }).samples;
    expect((worker as { round_trips: number }).round_trips).toBe(1);
    // Token ids went over (TS decoded them with the tokenizer's table); sent as text, the verdicts are the same.
    expect((worker as { by_ids: boolean }).by_ids).toBe(true);
    expect(text).toEqual({ stage: "text", round_trips: 2, samples });
    expect(bad).toEqual({ stage: "bad", error: "KeyError: 'ground_truth'" });
    const expected = [...Array(12).keys()].map((i) => {
      if (i % 6 === 5) return { score: -1, fallback: 1, flag: "faulty.timeout" };
      if (i % 6 === 2) return { score: -1, fallback: 1, flag: "faulty.error" };
      // correctness (weight 1) + faulty 0.5; row 3 has no answer (its text was replaced)
      return { score: (i % 2 === 0 ? 1 : 0) + 0.5, fallback: 0, flag: null };
    });
    samples.forEach((s, i) => {
      const e = expected[i]!;
      expect([i, s.score, s.still_fallback]).toEqual([i, e.score, e.fallback]);
      if (e.flag) expect([i, s[e.flag]]).toEqual([i, 1]);
    });
    // Same keys on every sample, including the token count and truncation flag TS saw.
    const keys = Object.keys(samples[0]!).sort();
    for (const s of samples) expect(Object.keys(s).sort()).toEqual(keys);
    expect(samples[3]!.truncated).toBe(1);
    expect(samples[3]!.response_tokens).toBe(48);
    expect(samples[0]!.truncated).toBe(0);
    expect(samples[0]!.faulty).toBe(0.5);

    const d = dead as { elapsed: number; samples: Record<string, number | null>[] };
    expect(d.elapsed).toBeLessThan(10);
    for (const s of d.samples) {
      expect([s.score, s.still_fallback, (s.timeout ?? 0) + (s.error ?? 0)]).toEqual([-1, 1, 1]);
      expect(Object.keys(s).sort()).toEqual(keys);
    }

    const m = manager as {
      keys: string[];
      scores: number[];
      nonzero_at: (number | null)[];
      fallback: number[];
    };
    expect(m.scores).toEqual(expected.map((e) => e.score));
    expect(m.fallback).toEqual(expected.map((e) => e.fallback));
    expect(m.keys).toContain("still_fallback");
    expect(m.keys).toContain("faulty.timeout");
    // The score sits on the last valid response token (veRL's assemble_rm_scores): row 3 fills all 48.
    expect(m.nonzero_at[3]).toBe(47);
  }, 300_000);
});

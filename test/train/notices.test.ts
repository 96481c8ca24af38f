import { describe, expect, it } from "vitest";
import { runConfigSchema } from "../../src/config/index.js";
import { runNotices } from "../../src/train/notices.js";
import { totalRlSteps } from "../../src/train/schedules.js";

const base = { model: { path: "tiny:qwen2" } };
const parse = (extra: object) => runConfigSchema.parse({ ...base, ...extra });
/** The notices of a run over `questions` questions, with the step count the trainer computes. */
const notices = (extra: object, questions: number) => {
  const c = parse(extra);
  return runNotices(c, { questions, totalSteps: totalRlSteps(c.algorithm, questions) });
};

describe("runNotices", () => {
  it("says nothing when the run does what the config asks", () => {
    expect(notices({ algorithm: { total_steps: 4, train_batch_size: 8 } }, 64)).toEqual([]);
  });

  it("names total_steps capped by the default total_epochs (the issue's 30 asked, 8 run)", () => {
    const out = notices({ algorithm: { total_steps: 30, train_batch_size: 8 } }, 64);
    expect(out).toHaveLength(1);
    expect(out[0]).toContain("algorithm.total_steps: 30 asked, 8 run");
    expect(out[0]).toContain("algorithm.total_epochs: 1 over 64 questions");
  });

  it("names total_steps when no question is left", () => {
    const c = parse({ algorithm: { total_steps: 5 } });
    expect(runNotices(c, { questions: 0, totalSteps: 0 })).toEqual([
      "algorithm.total_steps: 5 asked, 0 steps run: no training question is left",
    ]);
  });

  it.each([
    [{ algorithm: { total_steps: 1, train_batch_size: 16 } }, 8, "algorithm.train_batch_size: 16"],
    [
      { algorithm: { total_steps: 4, train_batch_size: 8, lr_schedule: { warmup_steps: 10 } } },
      64,
      "algorithm.lr_schedule.warmup_steps: 10",
    ],
    [
      { algorithm: { total_steps: 4, train_batch_size: 8, kl: { mode: "cosine", from: 0.001, steps: 100 } } },
      64,
      "algorithm.kl.steps: 100",
    ],
    [
      {
        algorithm: { total_steps: 4, train_batch_size: 8 },
        rollout: { max_response_length: 64 },
        context_stages: [{ max_response_length: 32, until_step: 10 }, { max_response_length: 64 }],
      },
      64,
      "context_stages[1] (max_response_length 64) starts at step 10",
    ],
    [
      {
        algorithm: {
          total_steps: 4,
          train_batch_size: 8,
          kl: { mode: "fixed", coef: 0.001 },
          reference_reset_every: 10,
        },
      },
      64,
      "algorithm.reference_reset_every: 10: the reference model is never reset",
    ],
    [
      { algorithm: { total_steps: 4, train_batch_size: 8 }, eval: { every_steps: 5 } },
      64,
      "eval.every_steps: 5 is past the run's 4 steps",
    ],
  ])("names %o", (extra, questions, expected) => {
    const out = notices(extra, questions);
    expect(out).toHaveLength(1);
    expect(out[0]).toContain(expected);
  });

  it("does not flag a warm-up, KL schedule or stage that fits the run", () => {
    const extra = {
      algorithm: {
        total_steps: 20,
        train_batch_size: 8,
        lr_schedule: { warmup_steps: 20 },
        kl: { mode: "cosine", from: 0.001, steps: 20 },
      },
      rollout: { max_response_length: 64 },
      context_stages: [{ max_response_length: 32, until_step: 20 }, { max_response_length: 64 }],
      eval: { every_steps: 20 },
    };
    expect(notices(extra, 160)).toEqual([]);
  });
});

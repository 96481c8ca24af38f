import { describe, expect, it } from "vitest";
import { algorithmSchema, klSchema, lrScheduleSchema } from "../../src/config/index.js";
import {
  klCoefAt,
  lrAt,
  referenceResetAt,
  responseLengthAt,
  scheduleAt,
  totalRlSteps,
} from "../../src/train/schedules.js";

describe("klCoefAt", () => {
  const none = klSchema.parse({ mode: "none" });
  const fixed = klSchema.parse({ mode: "fixed", coef: 1e-3 });
  const cosine = klSchema.parse({ mode: "cosine", from: 1e-3, to: 0, steps: 100 });
  const cosineFloor = klSchema.parse({ mode: "cosine", from: 1e-3, to: 1e-4, steps: 10 });
  it.each([
    ["none", none, 1, 0],
    ["none", none, 500, 0],
    ["fixed", fixed, 1, 1e-3],
    ["fixed", fixed, 999, 1e-3],
    ["cosine start", cosine, 1, 1e-3],
    ["cosine middle", cosine, 51, 5e-4],
    ["cosine quarter", cosine, 26, 1e-3 * 0.5 * (1 + Math.cos(Math.PI / 4))],
    ["cosine end", cosine, 101, 0],
    ["cosine after end", cosine, 400, 0],
    ["cosine to floor", cosineFloor, 11, 1e-4],
    ["cosine floor middle", cosineFloor, 6, 5.5e-4],
  ])("%s at step %#", (_name, cfg, step, want) => {
    expect(klCoefAt(step, cfg)).toBeCloseTo(want, 12);
  });
});

describe("lrAt", () => {
  const constant = lrScheduleSchema.parse({});
  const warm = lrScheduleSchema.parse({ warmup_steps: 4 });
  const cos = lrScheduleSchema.parse({ type: "cosine" });
  const cosWarmFloor = lrScheduleSchema.parse({ type: "cosine", warmup_steps: 2, min_lr_ratio: 0.1 });
  it.each([
    ["constant", constant, 1, 1e-3],
    ["constant", constant, 100, 1e-3],
    ["warm-up first", warm, 1, 2.5e-4],
    ["warm-up last", warm, 4, 1e-3],
    ["after warm-up", warm, 5, 1e-3],
    ["cosine first", cos, 1, 1e-3],
    ["cosine middle", cos, 6, 5e-4],
    ["cosine last", cos, 11, 0],
    ["cosine warm-up", cosWarmFloor, 1, 5e-4],
    ["cosine after warm-up", cosWarmFloor, 3, 1e-3],
    ["cosine floor", cosWarmFloor, 12, 1e-4],
    ["cosine floor middle", cosWarmFloor, 7, 1e-4 + 0.9e-3 * 0.5],
  ])("%s at step %#", (_name, cfg, step, want) => {
    expect(lrAt(step, 1e-3, cfg, 10)).toBeCloseTo(want, 12);
  });
});

describe("context stages", () => {
  const stages = [
    { max_response_length: 8, until_step: 3 },
    { max_response_length: 12, until_step: 5 },
    { max_response_length: 20 },
  ];
  it.each([
    [1, 8],
    [2, 8],
    [3, 12],
    [4, 12],
    [5, 20],
    [1000, 20],
  ])("step %i has budget %i", (step, budget) => {
    expect(responseLengthAt(step, stages, 99)).toBe(budget);
  });
  it("without stages the rollout budget applies", () => {
    expect(responseLengthAt(7, [], 99)).toBe(99);
  });
});

describe("referenceResetAt", () => {
  it.each([
    [1, 3, false],
    [3, 3, true],
    [4, 3, false],
    [6, 3, true],
    [1, 1, true],
    [5, null, false],
  ])("step %i every %s -> %s", (step, every, want) => {
    expect(referenceResetAt(step, every)).toBe(want);
  });
});

describe("totalRlSteps and scheduleAt", () => {
  it.each([
    [{ train_batch_size: 16, total_epochs: 1 }, 100, 7],
    [{ train_batch_size: 16, total_epochs: 3 }, 100, 19],
    [{ train_batch_size: 16, total_epochs: 3, total_steps: 5 }, 100, 5],
    [{ train_batch_size: 16, total_epochs: 1, total_steps: 50 }, 100, 7],
  ])("%o over %i questions -> %i steps", (a, size, want) => {
    expect(totalRlSteps(algorithmSchema.parse(a), size)).toBe(want);
  });
  it("gathers every value for a step", () => {
    const algorithm = algorithmSchema.parse({
      lr: 1e-3,
      entropy_coef: 0.01,
      kl: { mode: "fixed", coef: 0.1 },
      reference_reset_every: 2,
    });
    const s = scheduleAt(4, {
      algorithm,
      contextStages: [{ max_response_length: 8, until_step: 4 }, { max_response_length: 16 }],
      maxResponseLength: 16,
      totalSteps: 10,
    });
    expect(s).toEqual({
      step: 4,
      lr: 1e-3,
      klCoef: 0.1,
      entropyCoef: 0.01,
      maxResponseLength: 16,
      resetReference: true,
    });
  });
});

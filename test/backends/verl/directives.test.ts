import { describe, expect, it } from "vitest";
import { advantagesReply } from "../../../src/backends/verl/advantages.js";
import { type DirectiveRequest, directiveFor } from "../../../src/backends/verl/directives.js";
import { DEFAULT_GROUP_OPTIONS } from "../../../src/rewards/group.js";
import { runConfig } from "./helpers.js";

const staged = runConfig({
  algorithm: {
    lr: 1e-6,
    lr_schedule: { type: "constant", warmup_steps: 0 },
    kl: { mode: "cosine", from: 0.001, to: 0, steps: 10 },
    entropy_coef: 0.001,
    reference_reset_every: 4,
  },
  rollout: { max_response_length: 20_000 },
  context_stages: [{ until_step: 6, max_response_length: 8_000 }, { max_response_length: 20_000 }],
});
const req = (step: number, response_length = 8_000): DirectiveRequest => ({
  step,
  total_steps: 10,
  response_length,
});

describe("directives for the still3 trainer", () => {
  it.each([
    // step, launched budget, kl, relaunch reasons after the step
    [1, 8_000, 0.001, []],
    [4, 8_000, 0.001 * 0.5 * (1 + Math.cos((Math.PI * 3) / 10)), ["reset_reference"]],
    [5, 8_000, 0.001 * 0.5 * (1 + Math.cos((Math.PI * 4) / 10)), ["max_response_length 8000 -> 20000"]],
    [6, 20_000, 0.001 * 0.5 * (1 + Math.cos((Math.PI * 5) / 10)), []],
    [8, 20_000, 0.001 * 0.5 * (1 + Math.cos((Math.PI * 7) / 10)), ["reset_reference"]],
    [10, 20_000, 0.001 * 0.5 * (1 + Math.cos((Math.PI * 9) / 10)), []],
  ] as const)("step %i launched with %i: kl %f, relaunch after %j", (step, launched, kl, relaunch) => {
    const d = directiveFor(staged, req(step, launched));
    expect(d.kl_coef).toBeCloseTo(kl, 12);
    expect(d.entropy_coef).toBe(0.001);
    expect(d.lr).toBe(1e-6);
    expect(d.max_response_length).toBe(launched);
    expect(d.relaunch_after).toEqual(relaunch);
  });

  it("refuses a step the job was launched for with another stage's budget", () => {
    expect(() => directiveFor(staged, req(7, 8_000))).toThrow(
      /step 7 belongs to the context stage with max_response_length 20000, but the job was launched with data.max_response_length 8000/,
    );
  });

  it("kl none gives 0, fixed gives its coefficient; bad steps are refused", () => {
    expect(directiveFor(runConfig({}), req(3, 8192)).kl_coef).toBe(0);
    const fixed = runConfig({ algorithm: { kl: { mode: "fixed", coef: 0.002 } } });
    expect(directiveFor(fixed, req(3, 8192)).kl_coef).toBe(0.002);
    expect(() => directiveFor(fixed, req(0, 8192))).toThrow(/step must be a positive integer/);
  });
});

describe("still.advantages requests", () => {
  it("refuses malformed columns with the column's name", () => {
    const ok = { rewards: [1, 0], groups: ["a", "a"], lengths: [3, 4], truncated: [0, 0], correct: [1, 0] };
    expect(advantagesReply(ok, DEFAULT_GROUP_OPTIONS).included).toEqual(Uint8Array.from([1, 1]));
    expect(() => advantagesReply({ ...ok, groups: ["a"] }, DEFAULT_GROUP_OPTIONS)).toThrow(
      /"groups" has 1 entries, "rewards" has 2/,
    );
    expect(() => advantagesReply({ ...ok, rewards: [1, Number.NaN] }, DEFAULT_GROUP_OPTIONS)).toThrow(
      /"rewards"\[1\] is not a finite number/,
    );
    expect(() => advantagesReply([1], DEFAULT_GROUP_OPTIONS)).toThrow(/expected a map/);
  });
});

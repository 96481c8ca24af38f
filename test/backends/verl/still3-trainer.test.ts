import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RelaunchNeed,
  startVerlServices,
  type VerlServices,
} from "../../../src/backends/verl/services.js";
import { applyGroupStrategies } from "../../../src/rewards/group.js";
import { planFromConfig } from "../../../src/rewards/plan.js";
import { klCoefAt } from "../../../src/train/schedules.js";
import { runConfig, runFixture, tinyModel } from "./helpers.js";

// Three groups of four: rewards, lengths, truncation (hit the 24-token budget without EOS) and verdicts.
const batch = {
  rewards: [1, 0, 1, 0, 1, 1, 1, 0, 0.5, 0, 1, 0],
  groups: ["a", "a", "a", "a", "b", "b", "b", "b", "c", "c", "c", "c"],
  lengths: [10, 24, 20, 6, 12, 24, 9, 15, 22, 8, 18, 11],
  truncated: [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
  correct: [1, 0, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0],
};

describe.each([
  ["grpo", "orm+qs", { advantage_estimator: "grpo" }, ["orm", "qs"]],
  ["rloo", "rs", { advantage_estimator: "rloo" }, ["rs"]],
] as const)("still3 trainer with %s and %s on a real TransferQueue", (_, __, algorithm, strategies) => {
  let services: VerlServices;
  let model: string;
  const metrics: [number, Record<string, number>][] = [];
  const relaunches: RelaunchNeed[] = [];
  const config = runConfig({
    algorithm: {
      ...algorithm,
      kl: { mode: "cosine", from: 0.001, to: 0, steps: 4 },
      entropy_coef: 0.002,
      reference_reset_every: 2,
    },
    rollout: { max_response_length: 24 },
    rewards: { components: [{ name: "correctness" }], group_strategies: [...strategies] },
  });
  beforeAll(async () => {
    model = await tinyModel();
    services = await startVerlServices({ config, runDir: path.dirname(model) });
    services.onMetrics((step, m) => metrics.push([step, m]));
    services.onRelaunch((need) => relaunches.push(need));
  }, 120_000);
  afterAll(() => services?.close());

  it("applies each step's directive, relaunches after a reference reset, and takes exactly the TS group advantages", async () => {
    const [hooks, adv] = await runFixture(
      "trainer_tq.py",
      [model, JSON.stringify(batch), "24"],
      services.env,
      300_000,
    );

    const steps = (hooks as { hooks: Record<string, unknown>[] }).hooks;
    expect(steps[0]!.message).toBeUndefined();
    expect(steps[0]).toMatchObject({
      step: 1,
      kl_coef: klCoefAt(1, config.algorithm.kl),
      entropy_coeff: 0.002,
    });
    expect(steps[0]!.relaunch_after).toEqual([]);
    expect(steps[1]).toMatchObject({ step: 2, kl_coef: klCoefAt(2, config.algorithm.kl), loss_fns: 2 });
    expect(steps[1]!.relaunch_after).toEqual(["reset_reference"]);
    expect(steps[1]!.saved).toEqual([2]);
    expect(steps[2]).toMatchObject({ step: 3, raised: "RelaunchRequested" });
    expect(relaunches).toEqual([
      { afterStep: 2, checkpoint: "/tmp/still-ckpt/global_step_2", reasons: ["reset_reference"] },
    ]);
    expect(metrics.map(([s, m]) => [s, m["actor/pg_loss"], m.text])).toEqual([
      [1, 0.25, undefined],
      [2, 0.5, undefined],
    ]);

    const expected = applyGroupStrategies(
      batch.rewards.map((reward, i) => ({
        group: batch.groups[i]!,
        reward,
        verdict: batch.correct[i] === 1 ? "correct" : "wrong",
        length: batch.lengths[i]!,
        truncated: batch.truncated[i] === 1,
      })),
      planFromConfig(config).group,
    );
    const a = adv as { advantages: number[]; constant_per_row: boolean; mask_sums: number[] };
    expect(a.constant_per_row).toBe(true);
    a.advantages.forEach((x, i) => {
      expect([i, x]).toEqual([i, expect.closeTo(expected[i]!.advantage!, 5)]);
    });
    expect(a.mask_sums).toEqual(expected.map((o, i) => (o.included ? batch.lengths[i] : 0)));
    expect(expected.some((o) => !o.included)).toBe(true);
  }, 400_000);
});

import { describe, expect, it } from "vitest";
import {
  applyGroupStrategies,
  DEFAULT_GROUP_OPTIONS,
  type GroupMember,
  type GroupOptions,
} from "../../src/rewards/group.js";
import type { Verdict } from "../../src/rewards/types.js";

const m = (
  reward: number,
  verdict: Verdict,
  length: number,
  truncated = false,
  group = "g",
): GroupMember => ({
  group,
  reward,
  verdict,
  length,
  truncated,
});
const opts = (o: Partial<GroupOptions> = {}): GroupOptions => ({ ...DEFAULT_GROUP_OPTIONS, ...o });

describe("group strategies", () => {
  it("ORM excludes truncated responses, from the loss and from the statistics", () => {
    const out = applyGroupStrategies(
      [m(1, "correct", 10), m(0, "wrong", 20), m(0, "unanswered", 99, true)],
      opts({ orm: true }),
    );
    expect(out.map((o) => o.included)).toEqual([true, true, false]);
    expect(out[2]!.reason).toBe("orm: truncated at the length limit");
    expect(out[2]!.advantage).toBe(0);
    // Stats over [1, 0] only: mean 0.5, std sqrt(0.5).
    expect(out[0]!.advantage).toBeCloseTo(0.5 / Math.sqrt(0.5), 5);
  });

  it("ORM: a truncated correct answer is still excluded", () => {
    const out = applyGroupStrategies([m(1, "correct", 99, true), m(0, "wrong", 5)], opts({ orm: true }));
    expect(out[0]).toMatchObject({ included: false, advantage: 0 });
  });

  it("without ORM a truncated response is scored like any other", () => {
    const out = applyGroupStrategies([m(0, "unanswered", 99, true), m(1, "correct", 5)], opts());
    expect(out.every((o) => o.included)).toBe(true);
    expect(out[0]!.advantage).toBeLessThan(0);
  });

  it("all truncated: nothing is trained", () => {
    const out = applyGroupStrategies(
      [m(0, "unanswered", 9, true), m(0, "unanswered", 9, true)],
      opts({ orm: true }),
    );
    expect(out.map((o) => [o.included, o.advantage])).toEqual([
      [false, 0],
      [false, 0],
    ]);
  });

  it.each([
    [
      "keeps the group when correct answers are longer",
      [m(1, "correct", 300), m(0, "wrong", 100)],
      true,
      "included",
    ],
    [
      "drops it when they are shorter",
      [m(1, "correct", 100), m(1, "correct", 200), m(0, "wrong", 300)],
      false,
      "qs: mean correct length 150 <= mean wrong length 300",
    ],
    [
      "drops it on equal means",
      [m(1, "correct", 100), m(0, "wrong", 100)],
      false,
      "qs: mean correct length 100 <= mean wrong length 100",
    ],
    [
      "all correct",
      [m(1, "correct", 100), m(1, "correct", 50)],
      false,
      "qs: no correct response".replace("no correct", "no wrong"),
    ],
    ["all wrong", [m(0, "wrong", 100), m(0, "unanswered", 50)], false, "qs: no correct response"],
  ])("QS %s", (_, members, included, reason) => {
    const out = applyGroupStrategies(members, opts({ qs: true }));
    for (const o of out) expect(o).toMatchObject({ included, reason });
  });

  it("RS trains on the longest correct and the shortest wrong only", () => {
    const out = applyGroupStrategies(
      [
        m(1, "correct", 100),
        m(1, "correct", 400),
        m(0, "wrong", 50),
        m(0, "wrong", 200),
        m(0, "unanswered", 300),
      ],
      opts({ rs: true }),
    );
    expect(out.map((o) => o.included)).toEqual([false, true, true, false, false]);
    expect(out[0]!.reason).toBe("rs: not the longest correct or the shortest wrong response");
    // Two samples [1, 0]: mean 0.5, std sqrt(0.5).
    expect(out[1]!.advantage).toBeCloseTo(0.5 / Math.sqrt(0.5), 5);
    expect(out[2]!.advantage).toBeCloseTo(-0.5 / Math.sqrt(0.5), 5);
    expect(out[3]!.advantage).toBe(0);
  });

  it("RS drops the group when the longest correct is not longer than the shortest wrong", () => {
    const out = applyGroupStrategies([m(1, "correct", 100), m(0, "wrong", 100)], opts({ rs: true }));
    expect(
      out.every(
        (o) => !o.included && o.reason === "rs: longest correct length 100 <= shortest wrong length 100",
      ),
    ).toBe(true);
  });

  it("ORM runs before QS: truncated wrong responses do not count as wrong lengths", () => {
    const members = [m(1, "correct", 300), m(0, "wrong", 100), m(0, "unanswered", 8192, true)];
    expect(applyGroupStrategies(members, opts({ qs: true }))[0]!.included).toBe(false);
    expect(applyGroupStrategies(members, opts({ qs: true, orm: true }))[0]!.included).toBe(true);
  });

  it("groups are independent", () => {
    const out = applyGroupStrategies(
      [m(1, "correct", 1, false, "a"), m(0, "wrong", 1, false, "b"), m(0, "wrong", 1, false, "a")],
      opts(),
    );
    expect(out[1]!.advantage).toBe(0.0); // lone sample in b: its reward, 0
    expect(out[0]!.advantage).toBeGreaterThan(0);
  });

  it("reinforce++ whitens rewards over the batch; reinforce_baseline subtracts the group mean first", () => {
    const members = [
      m(1, "correct", 1, false, "a"),
      m(1, "correct", 1, false, "a"),
      m(0, "wrong", 1, false, "b"),
      m(1, "correct", 1, false, "b"),
    ];
    const pp = applyGroupStrategies(members, opts({ estimator: "reinforce++" })).map((o) => o.advantage!);
    const mean = pp.reduce((a, b) => a + b) / 4;
    expect(mean).toBeCloseTo(0, 9);
    expect(pp[0]).toBeCloseTo(pp[1]!, 9);
    expect(pp[0]).toBeGreaterThan(0);
    const rb = applyGroupStrategies(members, opts({ estimator: "reinforce_baseline" })).map(
      (o) => o.advantage!,
    );
    expect(rb[0]).toBeCloseTo(0, 9); // group a is all correct: no signal
    expect(rb[3]).toBeGreaterThan(0);
    expect(rb[2]).toBeLessThan(0);
  });

  it("estimator none (PPO critic) gives no advantage but still the inclusion flags", () => {
    const out = applyGroupStrategies(
      [m(1, "correct", 1), m(0, "wrong", 9, true)],
      opts({ estimator: "gae", orm: true }),
    );
    expect(out.map((o) => [o.advantage, o.included])).toEqual([
      [null, true],
      [null, false],
    ]);
  });
});

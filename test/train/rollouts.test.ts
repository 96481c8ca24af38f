import { describe, expect, it } from "vitest";
import type { ToolCallRecord } from "../../src/tools/rollout.js";
import { rewardSample } from "../../src/train/evaluate.js";
import { policySamples, type Rollout, toolExtra, toolMetrics } from "../../src/train/rollouts.js";

function rollout(mask: number[], calls: ToolCallRecord[] | null, logprobs: number[] | null = null): Rollout {
  return {
    input: 0,
    sample: 0,
    tokenIds: Int32Array.from(mask.map((_, i) => 100 + i)),
    lossMask: Uint8Array.from(mask),
    logprobs:
      logprobs === null ? Float32Array.from(mask.map((m) => (m ? -0.5 : 0))) : Float32Array.from(logprobs),
    text: "t",
    finishReason: "stop",
    calls,
  };
}

const ok: ToolCallRecord = { code: "print(1)", status: "ok", output: "1" };
const err: ToolCallRecord = { code: "1/0", status: "error", output: "ZeroDivisionError: division by zero" };
const timeout: ToolCallRecord = { code: "while 1: pass", status: "timeout", output: "Timeout Error" };

describe("policySamples", () => {
  it("carries the rollout's loss mask and log-probs, the advantage on every token, and the reference", () => {
    const r = rollout([1, 1, 0, 0, 1], [ok], [-0.1, -0.2, 0, 0, -0.3]);
    const ref = [Float32Array.from([-1, -1, -1, -1, -1])];
    const [s] = policySamples([{ promptIds: Int32Array.from([7, 8]), rollout: r, advantage: 0.75 }], ref);
    expect(Array.from(s!.promptIds)).toEqual([7, 8]);
    expect(s!.responseIds).toBe(r.tokenIds);
    expect(Array.from(s!.lossMask)).toEqual([1, 1, 0, 0, 1]);
    expect(Array.from(s!.advantages)).toEqual([0.75, 0.75, 0.75, 0.75, 0.75]);
    expect(Array.from(s!.oldLogprobs)).toEqual(Array.from(Float32Array.from([-0.1, -0.2, 0, 0, -0.3])));
    expect(s!.refLogprobs).toBe(ref[0]);
  });

  it("has no reference without KL, and refuses rollouts without log-probs", () => {
    const r = rollout([1], null);
    expect(
      policySamples([{ promptIds: new Int32Array(1), rollout: r, advantage: 0 }], null)[0]!.refLogprobs,
    ).toBe(null);
    expect(() =>
      policySamples(
        [{ promptIds: new Int32Array(1), rollout: { ...r, logprobs: null }, advantage: 0 }],
        null,
      ),
    ).toThrow(/no log-probs/);
  });
});

describe("toolMetrics", () => {
  it.each<[string, Rollout[], Record<string, number>]>([
    ["without tools: nothing", [rollout([1, 1], null)], {}],
    [
      "no call made: no success rate",
      [rollout([1, 1], []), rollout([1], [])],
      { tool_calls_mean: 0, tool_use_ratio: 0, tool_token_fraction: 0 },
    ],
    [
      "calls counted per response, successes per call, tool tokens per token",
      [rollout([1, 0, 0, 1], [ok, err]), rollout([1, 0, 1, 1], [timeout]), rollout([1, 1, 1, 1], [])],
      { tool_calls_mean: 1, tool_use_ratio: 2 / 3, tool_token_fraction: 3 / 12, tool_success_rate: 1 / 3 },
    ],
  ])("%s", (_, rollouts, expected) => {
    expect(toolMetrics(rollouts)).toEqual(expected);
  });
});

describe("tool calls reach the reward sample", () => {
  it.each<[string, ToolCallRecord[] | null, Record<string, unknown>]>([
    ["without tools: the record's extras only", null, { level: 3 }],
    [
      "calls and failures as the sandbox reported them",
      [ok, err, timeout],
      { level: 3, tool_calls: 3, tool_errors: 2 },
    ],
    ["no call", [], { level: 3, tool_calls: 0, tool_errors: 0 }],
  ])("%s", (_, calls, extra) => {
    const r = rollout([1, 1], calls);
    expect(toolExtra(r)).toEqual(Object.fromEntries(Object.entries(extra).filter(([k]) => k !== "level")));
    const sample = rewardSample(
      "p",
      { question: "q", answer: "1", source: "s", extra: { level: 3 } },
      r,
      "g",
    );
    expect(sample.extra).toEqual(extra);
    expect(sample.responseTokens).toBe(2);
  });
});

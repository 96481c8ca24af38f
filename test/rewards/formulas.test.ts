import { describe, expect, it } from "vitest";
import { actionReward } from "../../src/rewards/action.js";
import { answerTail, judge } from "../../src/rewards/analyze.js";
import { correctnessReward } from "../../src/rewards/correctness.js";
import { answerTagContent, formatReward } from "../../src/rewards/format.js";
import { compileKeywords, keywordRatios, RRA_KEYWORDS } from "../../src/rewards/keywords.js";
import { lengthReward } from "../../src/rewards/length.js";
import { toolStatsFromExtra, toolStatsFromText, toolUseReward } from "../../src/rewards/tool.js";
import type { RewardSample } from "../../src/rewards/types.js";

const sample = (response: string, groundTruth = "42", extra: Partial<RewardSample> = {}): RewardSample => ({
  prompt: "Q",
  response,
  truncated: false,
  groundTruth,
  extra: {},
  ...extra,
});

describe("correctness", () => {
  it.each([
    ["binary", "correct", 1],
    ["binary", "wrong", 0],
    ["binary", "unanswered", 0],
    ["plus_minus", "correct", 1],
    ["plus_minus", "wrong", -1],
    ["plus_minus", "unanswered", -1],
    ["still_1p5b", "correct", 1],
    ["still_1p5b", "wrong", -1],
    ["still_1p5b", "unanswered", -2],
  ] as const)("%s %s -> %d", (variant, verdict, want) => {
    expect(correctnessReward(verdict, variant)).toBe(want);
  });

  it.each([
    ["empty response", "", "unanswered"],
    ["no box", "The answer is 42.", "unanswered"],
    ["boxed correct", "so \\boxed{42}", "correct"],
    ["boxed wrong", "so \\boxed{41}", "wrong"],
    [
      "last box counts",
      "\\boxed{41}. Wait, that is wrong. Let me recompute the product carefully: six times seven gives \\boxed{42}",
      "correct",
    ],
    [
      "cut off inside the last box: no answer, though an earlier box was right",
      "\\boxed{42} but let me recheck, so the answer is \\boxed{4",
      "unanswered",
    ],
    ["fbox", "\\fbox{42}", "correct"],
    [
      "an fbox after the last boxed wins",
      `\\boxed{41} ${"then more careful work. ".repeat(400)} \\fbox{42}`,
      "correct",
    ],
    ["answer far into a long response", `${"step. ".repeat(20_000)}\\boxed{42}`, "correct"],
  ])("%s", (_, response, verdict) => {
    expect(judge(sample(response), "boxed").verdict).toBe(verdict);
  });

  it("reads the answer tag in answer-tag mode (no box needed)", () => {
    expect(judge(sample("<think>x</think> <answer>42</answer>"), "answer-tag").verdict).toBe("correct");
    expect(judge(sample("<think>x</think> \\boxed{42}"), "answer-tag").verdict).toBe("unanswered");
  });

  it("hands the verifier the tail from a little before the last box", () => {
    const long = `${"x".repeat(50_000)} \\boxed{1}, \\boxed{2}`;
    const tail = answerTail(long, "boxed");
    expect(tail.length).toBeLessThan(5_000);
    expect(tail.endsWith("\\boxed{1}, \\boxed{2}")).toBe(true);
    expect(answerTail("short \\boxed{3}", "boxed")).toBe("short \\boxed{3}");
  });
});

describe("length reward (RRL) = L/L_max + R_correct(±1)", () => {
  it.each([
    ["correct, half the window", "correct", 4096, 8192, 1.5],
    ["wrong, half the window", "wrong", 4096, 8192, -0.5],
    ["no box counts as wrong", "unanswered", 8192, 8192, 0],
    ["empty response", "unanswered", 0, 8192, -1],
    ["truncated correct: full window", "correct", 8192, 8192, 2],
  ] as const)("%s", (_, verdict, len, lMax, want) => {
    expect(lengthReward(verdict, len, lMax)).toBeCloseTo(want, 12);
  });
});

describe("reasoning action reward (RRA) = min(A, A_max)/A_max + R_correct(±1)", () => {
  it.each([
    ["correct, no actions", "correct", 0, 20, 1],
    ["correct, 10 actions", "correct", 10, 20, 1.5],
    ["wrong, 20 actions", "wrong", 20, 20, 0],
    ["capped at A_max", "correct", 500, 20, 2],
    ["custom A_max", "unanswered", 5, 10, -0.5],
  ] as const)("%s", (_, verdict, actions, aMax, want) => {
    expect(actionReward(verdict, actions, aMax)).toBeCloseTo(want, 12);
  });
});

describe("keyword counting", () => {
  const m = compileKeywords({ rra: RRA_KEYWORDS, verification: ["check", "double-check", "double check"] });
  it.each([
    ["", [0, 0]],
    ["But wait, however BUT", [4, 0]],
    ["butter rebut but_x abut buts", [0, 0]],
    ["—but “but” (but) but. but!", [5, 0]],
    ["Waiting waited wait", [1, 0]],
    ["Let me verify: verified, verify.", [2, 0]],
    ["Alternatively, alternatively", [2, 0]],
    ["double-check then double check then check", [0, 3]],
    ["checkpoint recheck check2 check", [0, 1]],
    ["émbut butésimple but", [2, 0]],
  ])("%j", (text, want) => {
    expect(m.count(text)).toEqual(want);
    expect(m.countBytes(Buffer.from(text, "utf8"))).toEqual(want);
  });

  it("rejects keywords it cannot match as whole words", () => {
    expect(() => compileKeywords({ a: ["?"] })).toThrow(/ASCII and start and end with a letter or digit/);
    expect(() => compileKeywords({ a: ["naïve"] })).toThrow(/naïve/);
  });

  it("keyword ratio: fraction of responses with at least one keyword per category", () => {
    expect(
      keywordRatios(
        [
          [1, 0],
          [0, 0],
          [3, 2],
          [0, 1],
        ],
        ["reflection", "correction"],
      ),
    ).toEqual({
      reflection: 0.5,
      correction: 0.5,
    });
    expect(keywordRatios([], ["reflection"])).toEqual({ reflection: 0 });
  });
});

describe("format reward (R1-Zero, STILLZero rules)", () => {
  const zeroPrompt = "A conversation ... Assistant:\n<think>";
  it.each([
    ["well formed, <think> in the prompt", zeroPrompt, " reasoning </think> <answer> 42 </answer>", 1],
    [
      "well formed, <think> in the response",
      "User: q Assistant:",
      "<think> r </think>\n<answer>42</answer>",
      1,
    ],
    ["end-of-text token removed", "Assistant:", "<think>r</think><answer>4</answer><|im_end|>", 1],
    ["empty response", zeroPrompt, "", 0],
    ["no answer tag", zeroPrompt, " r </think> \\boxed{42}", 0],
    ["text between think and answer", zeroPrompt, " r </think> so <answer>42</answer>", 0],
    ["text after the answer", zeroPrompt, " r </think><answer>42</answer> done", 0],
    ["empty think", "Assistant:", "<think> </think><answer>42</answer>", 0],
    ["empty answer", zeroPrompt, " r </think><answer> </answer>", 0],
    ["two answers", zeroPrompt, " r </think><answer>1</answer><answer>2</answer>", 0],
    ["tags out of order", "Assistant:", "<think>r<answer>1</answer></think>", 0],
  ])("%s", (_, prompt, response, want) => {
    expect(formatReward(prompt, response)).toBe(want);
  });

  it("reads the answer from the last tag", () => {
    expect(answerTagContent("<answer> 1 </answer> <answer> 2 </answer>")).toBe("2");
    expect(answerTagContent("<answer> 1")).toBeUndefined();
  });
});

describe("tool-use reward", () => {
  const ok = "```python\nprint(1)\n```\n```output\n1\n```";
  const bad = "```python\n1/0\n```\n```output\nTraceback ...\nZeroDivisionError: division by zero\n```";
  it.each([
    ["no calls", "plain text", { calls: 0, errors: 0 }, 0],
    ["one good call", ok, { calls: 1, errors: 0 }, 0.5],
    ["one failed call", bad, { calls: 1, errors: 1 }, -0.2],
    ["good and failed", `${ok}\n${bad}`, { calls: 2, errors: 1 }, 0.3],
    ["STILL harness Output fence", ok.replace("```output", "```Output"), { calls: 1, errors: 0 }, 0.5],
  ])("%s", (_, text, stats, want) => {
    expect(toolStatsFromText(text)).toEqual(stats);
    expect(toolUseReward(stats, { bonus: 0.5, errorPenalty: 0.2 })).toBeCloseTo(want, 12);
  });

  it("prefers counts recorded by the rollout", () => {
    expect(toolStatsFromExtra({ tool_calls: 3, tool_errors: 1 })).toEqual({ calls: 3, errors: 1 });
    expect(toolStatsFromExtra({})).toBeUndefined();
  });
});

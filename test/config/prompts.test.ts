import { describe, expect, it } from "vitest";
import { DEEPSEEK_CHAT, R1_ZERO_SHORT, renderPrompt, STILL_LONG } from "../../src/prompts/templates.js";

describe("renderPrompt", () => {
  it.each([
    [
      "r1_zero_short",
      "A conversation between User and Assistant. The user asks a question",
      "User: 1+1?\nAssistant:\n<think>",
    ],
    [
      "still_long",
      "A conversation between User and Assistant. The User asks a question",
      "User: 1+1?\nAssistant:\n<think>",
    ],
    ["deepseek_chat", "<｜begin▁of▁sentence｜><｜User｜>1+1?", "<｜Assistant｜>"],
  ] as const)("%s", (template, start, end) => {
    const text = renderPrompt({ template }, "1+1?");
    expect(text.startsWith(start)).toBe(true);
    expect(text.endsWith(end)).toBe(true);
    expect(text).not.toContain("{question}");
  });

  it("fills a custom template everywhere and leaves the rest alone", () => {
    const template = { template: "custom" as const, text: "Q: {question}\nAgain: {question} {answer} $1" };
    expect(renderPrompt(template, "x$&y")).toBe("Q: x$&y\nAgain: x$&y {answer} $1");
  });

  it("keeps the report's wording", () => {
    expect(R1_ZERO_SHORT).toContain("for example <answer> \\frac{1}{2} </answer>.");
    expect(STILL_LONG).toContain(
      '"Hmm", "Wait", "Alternatively", "double check", "I wonder...", "But", "rethink"',
    );
    expect(STILL_LONG).toContain("ONLY return the FINAL ANSWER within ‘<answer></answer>’ tags");
    expect(DEEPSEEK_CHAT).not.toContain("Please reason step by step");
  });
});

import { describe, expect, it } from "vitest";
import {
  cutAtRandomPiece,
  hasCodeBlock,
  injectToolCall,
  STILL_CODE_PREFIXES,
  STILL_KEYWORDS,
  splitAtKeywords,
} from "../../src/tools/synthesis.js";
import { mulberry32 } from "../../src/util/rng.js";

/** Expected values are the outputs of STILL's `split_string_by_keywords` run on the same inputs. */
describe("splitAtKeywords matches STILL's split_string_by_keywords", () => {
  it.each<[string, string[]]>([
    ["", []],
    ["plain text", ["plain text"]],
    ["Wait, no.", ["Wait, no."]],
    ["  lead  Wait a. But b.Hmm", ["lead", "Wait a.", "But b.", "Hmm"]],
    ["x Butter y", ["x", "Butter y"]],
    ["WaitWait", ["Wait", "Wait"]],
    ["a\n\nWait\n\n", ["a", "Wait"]],
    ["Alternatively Moreover, Furthermore:end", ["Alternatively", "Moreover,", "Furthermore:end"]],
    [" But ", ["", "But"]],
  ])("%j", (text, pieces) => {
    expect(splitAtKeywords(text, STILL_KEYWORDS)).toEqual(pieces);
  });

  it("escapes regex characters in keywords and rejects empty ones", () => {
    expect(splitAtKeywords("a (b) c", ["(b)"])).toEqual(["a", "(b) c"]);
    expect(() => splitAtKeywords("a", [""])).toThrow(/empty/);
  });
});

describe("cutAtRandomPiece", () => {
  const pieces = ["p0", "p1", "p2", "p3", "p4", "p5"];
  it.each<[number, string[]]>([
    // k = floor(n/3) + floor(r * (n - floor(n/3) + 1)); n = 6: k in [2, 6]
    [0, pieces.slice(0, 2)],
    [0.99, pieces],
    [0.5, pieces.slice(0, 4)],
  ])("r=%d", (r, kept) => {
    expect(cutAtRandomPiece(pieces, () => r)).toBe(kept.join("\n\n"));
  });
  it("leaves short thoughts alone", () => {
    expect(cutAtRandomPiece(["a", "b", "c", "d"], () => 0.5)).toBeNull();
  });
});

describe("injectToolCall", () => {
  const thought =
    "<think>Let x be 3. Wait, x is 4. But then y. Hmm, y is 2. Alternatively z. Moreover w.</think> answer";
  it("cuts the thought and appends a prefix and an opening fence", () => {
    const draws = [0.99, 1 / 14 + 1e-9];
    const out = injectToolCall(thought, {
      keywords: STILL_KEYWORDS,
      prefixes: STILL_CODE_PREFIXES,
      random: () => draws.shift()!,
    });
    expect(out).toBe(
      "Let x be 3.\n\nWait, x is 4.\n\nBut then y.\n\nHmm, y is 2.\n\nAlternatively z.\n\nMoreover w.\n\n" +
        "Wait a minute, maybe I could use some code to double-check my reasoning.\n```python",
    );
  });
  it("is null for a thought with fewer than 5 pieces, and deterministic per seed", () => {
    const options = { keywords: STILL_KEYWORDS, prefixes: STILL_CODE_PREFIXES };
    expect(injectToolCall("<think>a. Wait b.</think>", { ...options, random: mulberry32(1) })).toBeNull();
    expect(injectToolCall(thought, { ...options, random: mulberry32(3) })).toBe(
      injectToolCall(thought, { ...options, random: mulberry32(3) }),
    );
  });
});

describe("hasCodeBlock", () => {
  it.each([
    ["x\n```python\nprint(1)\n```\n", true],
    ["```python\nprint(1)", false],
    ["```\nprint(1)\n```", false],
  ])("%j -> %s", (text, has) => {
    expect(hasCodeBlock(text)).toBe(has);
  });
});

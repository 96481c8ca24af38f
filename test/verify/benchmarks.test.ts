import { describe, expect, it } from "vitest";
import { normalizeText } from "../../src/verify/compare.js";
import { verify } from "../../src/verify/index.js";
import { BENCHMARKS, type BenchmarkRow, readJsonl, response, rewrites, rng } from "./data.js";

const allAnswers = BENCHMARKS.flatMap((b) =>
  readJsonl<BenchmarkRow>(`benchmarks/${b}.jsonl`).map((r) => r.answer),
);

function balanced(s: string): boolean {
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === "{") depth++;
    else if (s[i] === "}" && --depth < 0) return false;
  }
  return depth === 0;
}

// A few Omni-MATH gold answers lose a closing brace (`\frac{11}{2^{20}`); boxed, they are unclosed boxes,
// which are no answer by design. They are data errors, counted here and left out of the boxing tests.
const answers = allAnswers.filter(balanced);

/**
 * Shuffled pairs that are accepted although the strings differ, inspected one by one: all follow a stated
 * convention, none is a distinct value.
 */
const INSPECTED = new Set([
  // Gold 40_9 accepts the digits 40 (the MATH convention for base subscripts, as Math-Verify's 204_5 = 204).
  "40_9 <- 40",
  // Gold with a trailing unit accepts the bare number (units are dropped, as MATH graders do).
  "15\\mbox{ cm}^2 <- 15",
  // Degrees follow the MATH convention by default (90^\circ matches 90).
  "12 <- 12^{\\circ}",
]);

describe("benchmark answers", () => {
  it("has every benchmark", () => {
    expect(allAnswers.length).toBe(500 + 30 + 30 + 30 + 2821);
    expect(allAnswers.length - answers.length).toBe(4);
  });

  it("every gold answer verifies against itself boxed in a 1.5 KB response", () => {
    const failed = answers.filter((a, i) => !verify(a, response(a, i)).correct);
    expect(failed).toEqual([]);
  });

  it("every gold answer verifies against meaning-preserving rewrites", () => {
    const failed: string[] = [];
    let total = 0;
    for (const a of answers) {
      for (const w of rewrites(a)) {
        total++;
        if (!verify(a, `\\boxed{${w}}`).correct) failed.push(`${a} <- ${w}`);
      }
    }
    expect(total).toBeGreaterThan(3 * answers.length);
    expect(failed).toEqual([]);
  });

  it("rejects shuffled different answers (< 0.1% false positives, each inspected)", () => {
    const rand = rng(42);
    const perm = answers.map((_, i) => i);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const accepted: string[] = [];
    answers.forEach((gold, i) => {
      const other = answers[perm[i]!]!;
      if (normalizeText(gold) === normalizeText(other)) return;
      if (verify(gold, `\\boxed{${other}}`).correct) accepted.push(`${gold} <- ${other}`);
    });
    expect(accepted.length / answers.length).toBeLessThan(0.001);
    expect(accepted.filter((a) => !INSPECTED.has(a))).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { normalizeText } from "../../src/verify/compare.js";
import { verify } from "../../src/verify/index.js";
import { BENCHMARKS, type BenchmarkRow, readJsonl, response, rewrites, rng } from "./data.js";

const answers = BENCHMARKS.flatMap((b) =>
  readJsonl<BenchmarkRow>(`data/benchmarks/${b}.jsonl`).map((r) => r.answer),
);

/**
 * Shuffled pairs that are accepted although the strings differ, inspected one by one: all follow a stated
 * convention, none is a distinct value.
 */
const INSPECTED = new Set([
  // Gold 40_9 accepts the digits 40 (the MATH convention for base subscripts, as Math-Verify's 204_5 = 204).
  "40_9 <- 40",
]);

describe("benchmark answers", () => {
  it("has every benchmark", () => {
    expect(answers.length).toBe(500 + 30 + 30 + 30 + 2821);
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

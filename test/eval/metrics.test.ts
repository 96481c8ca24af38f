import { describe, expect, it } from "vitest";
import { majAtK, meanOver, meanPass1, type Outcome, passAtK } from "../../src/eval/metrics.js";

describe("passAtK (unbiased, 1 - C(n-c,k)/C(n,k)), against hand-computed values", () => {
  it.each([
    // n, c, k, expected: worked by hand from the binomials
    [5, 2, 1, 2 / 5],
    [5, 2, 2, 1 - 3 / 10], // C(3,2)=3, C(5,2)=10
    [5, 2, 3, 1 - 1 / 10], // C(3,3)=1, C(5,3)=10
    [5, 2, 4, 1], // fewer than 4 wrong samples
    [5, 0, 3, 0],
    [5, 5, 1, 1],
    [8, 1, 4, 1 - 35 / 70], // C(7,4)=35, C(8,4)=70
    [10, 3, 5, 1 - 21 / 252], // C(7,5)=21, C(10,5)=252
    [16, 4, 8, 1 - 495 / 12870], // C(12,8)=495, C(16,8)=12870
    [1, 1, 1, 1],
    [1, 0, 1, 0],
  ])("n=%i c=%i k=%i -> %f", (n, c, k, expected) => {
    expect(passAtK(n, c, k)).toBeCloseTo(expected, 12);
  });

  it("equals the share of correct samples at k=1 and is exact for large n", () => {
    expect(passAtK(1000, 137, 1)).toBeCloseTo(0.137, 12);
    expect(passAtK(2000, 1, 1000)).toBeCloseTo(0.5, 12);
  });

  it.each([
    [0, 0, 1],
    [5, 6, 1],
    [5, 2, 6],
    [5, 2, 0],
    [5.5, 2, 1],
  ])("rejects n=%s c=%s k=%s", (n, c, k) => {
    expect(() => passAtK(n, c, k)).toThrow(RangeError);
  });
});

const o = (answer: string | null, correct: boolean): Outcome => ({ answer, correct });

describe("majAtK, against hand-worked votes", () => {
  const cases: [string, Outcome[], number, number][] = [
    ["majority correct", [o("A", true), o("B", false), o("A", true)], 3, 1],
    ["majority wrong", [o("B", false), o("A", true), o("B", false)], 3, 0],
    [
      "tie goes to the answer seen first (wrong)",
      [o("B", false), o("A", true), o("B", false), o("A", true)],
      4,
      0,
    ],
    [
      "tie goes to the answer seen first (right)",
      [o("A", true), o("B", false), o("B", false), o("A", true)],
      4,
      1,
    ],
    ["only the first k samples vote", [o("B", false), o("A", true), o("A", true)], 1, 0],
    ["no answer in the first k", [o(null, false), o(null, false), o("A", true)], 2, 0],
    ["answers without a vote are skipped", [o(null, false), o(null, false), o("A", true)], 3, 1],
    [
      "whitespace does not split a vote",
      [o("x = 2", true), o("x=2", true), o("3", false), o("3", false)],
      4,
      1,
    ],
  ];
  it.each(cases)("%s", (_name, outcomes, k, expected) => {
    expect(majAtK(outcomes, k)).toBe(expected);
  });
  it("rejects k beyond the samples", () => {
    expect(() => majAtK([o("A", true)], 2)).toThrow(RangeError);
  });
});

describe("pass@1 averaged over samples, and means over problems", () => {
  it("averages per problem, then over problems", () => {
    const problems = [
      [o("1", true), o("2", false), o("1", true), o("1", true)], // 3/4
      [o("5", false), o("5", false), o(null, false), o("7", true)], // 1/4
      [o("0", true), o("0", true), o("0", true), o("0", true)], // 4/4
    ];
    expect(problems.map(meanPass1)).toEqual([0.75, 0.25, 1]);
    expect(meanOver(problems, meanPass1)).toBeCloseTo(2 / 3, 12);
    // pass@2 per problem: 1 - C(1,2)/C(4,2) = 1, 1 - C(3,2)/C(4,2) = 1/2, 1
    expect(meanOver(problems, (p) => passAtK(p.length, p.filter((x) => x.correct).length, 2))).toBeCloseTo(
      2.5 / 3,
      12,
    );
    // maj@4: "1" wins (3 votes, correct); "5" wins (2, wrong); "0" (correct)
    expect(meanOver(problems, (p) => majAtK(p, 4))).toBeCloseTo(2 / 3, 12);
    expect(meanOver([], meanPass1)).toBeNaN();
  });
});

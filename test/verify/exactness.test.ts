import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { verify } from "../../src/verify/index.js";

const boxed = (s: string) => `\\boxed{${s}}`;

/** Values with and without an exact form here (rationals, radicals, π; e, logs, trigonometry). */
const BASES = [
  "\\frac{1}{3}",
  "\\frac{22}{7}",
  "\\sqrt{2}",
  "3\\sqrt{5}-1",
  "\\pi",
  "\\frac{\\pi}{7}",
  "e",
  "e^{\\frac{2}{3}}",
  "\\ln 2",
  "\\ln 7 - \\ln 3",
  "\\sin(\\frac{1}{3})",
  "\\cos 2",
  "\\arctan(\\frac{5}{2})",
  "\\sqrt{2}+\\ln 5",
  "\\log_2 3",
  "1000000",
];

/** δ far below a double's resolution of the values above: 10^-k for k in 17..80. */
const tiny = fc
  .integer({ min: 17, max: 80 })
  .map((k): [string, string] => [`10^{-${k}}`, `\\frac{1}{10^{${k}}}`]);

describe("exact means exact", () => {
  it("the issue's case: 2^{1/2^{1000}} is not 1", () => {
    expect(verify("[1, \\infty)", boxed("[2^{1/2^{1000}}, \\infty)")).correct).toBe(false);
    expect(verify("1", boxed("2^{1/2^{1000}}"))).toMatchObject({ correct: false, reason: "cannot-decide" });
  });

  it("rejects a value against itself moved by less than one ulp (fuzz)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...BASES),
        tiny,
        fc.constantFrom("+", "-", "*"),
        fc.boolean(),
        (a, [d1, d2], op, swap) => {
          const d = swap ? d2 : d1;
          const moved = op === "*" ? `(${a})(1 + ${d})` : `${a} ${op} ${d}`;
          const [gold, pred] = swap ? [moved, a] : [a, moved];
          const r = verify(gold, boxed(pred));
          expect(r.correct, `${gold} vs ${pred}: ${JSON.stringify(r)}`).toBe(false);
        },
      ),
      { numRuns: 400, seed: 14 },
    );
  });

  it("rejects functions that round to a constant or their tangent line at a tiny argument (fuzz)", () => {
    const pairs = (d: string): [string, string][] => [
      [`2^{${d}}`, "1"],
      [`e^{${d}}`, "1"],
      [`\\cos(${d})`, "1"],
      [`\\sin(${d})`, d],
      [`\\tan(${d})`, d],
      [`\\arctan(${d})`, d],
      [`\\ln(1 + ${d})`, d],
      [`e^{${d}} - 1`, d],
    ];
    fc.assert(
      fc.property(tiny, fc.integer({ min: 0, max: 7 }), ([d = ""], k) => {
        const [a, b] = pairs(d)[k]!;
        expect(verify(a, boxed(b)).correct, `${a} vs ${b}`).toBe(false);
        expect(verify(b, boxed(a)).correct, `${b} vs ${a}`).toBe(false);
      }),
      { numRuns: 300, seed: 15 },
    );
    for (const k of [60, 200, 1000, 3000]) expect(verify("1", boxed(`2^{1/2^{${k}}}`)).correct).toBe(false);
  });

  it("rejects near-identities that floating point cannot separate", () => {
    const near: [string, string][] = [
      ["e^{\\pi\\sqrt{163}}", "640320^3+744"],
      ["\\ln(10^{20})", "\\ln(10^{20}+1)"],
      ["0", "e^{-1000}"],
      ["\\pi", "\\pi(1 + 10^{-30})"],
      ["\\sqrt{10^{40}+1}", "10^{20}"],
      ["\\frac{1}{2004!}", "\\frac{1}{2006!}"],
    ];
    for (const [g, p] of near) expect(verify(g, boxed(p)).correct, `${g} vs ${p}`).toBe(false);
  });

  it("still accepts equal values that have no exact form", () => {
    const equal: [string, string][] = [
      ["\\ln 6", "\\ln 2 + \\ln 3"],
      ["\\log_2 3", "\\frac{\\ln 3}{\\ln 2}"],
      ["e^2", "\\exp(2)"],
      ["\\frac{1}{e}", "e^{-1}"],
      ["2\\sin 1 \\cos 1", "\\sin 2"],
      ["e^{\\ln 2}", "2"],
      ["\\arctan 1", "\\frac{\\pi}{4}"],
      ["\\tan^2 y + 1", "\\sec^2 y"],
    ];
    for (const [g, p] of equal) expect(verify(g, boxed(p)).correct, `${g} vs ${p}`).toBe(true);
  });

  it("a decimal matches the digits it prints, decided with a proven enclosure", () => {
    expect(verify("\\sqrt{17}", boxed("4.123105625617661")).correct).toBe(true);
    expect(verify("\\sqrt{17}", boxed("4.123105625617663")).correct).toBe(false);
    expect(verify("e", boxed("2.71828182845905")).correct).toBe(true);
    expect(verify("e", boxed("2.71828182845915")).correct).toBe(false);
    expect(verify("0.066666793", boxed("0.0666668")).correct).toBe(true);
    expect(verify("0.066666793", boxed("0.0666670")).correct).toBe(false);
  });
});

describe("numeric tolerance (explicit, relative and absolute)", () => {
  it("is off by default and applies only when configured", () => {
    expect(verify("2", boxed("2.0001")).correct).toBe(false);
    expect(verify("2", boxed("2.0001"), { relTol: 1e-4 })).toMatchObject({
      correct: true,
      reason: "tolerance",
    });
    expect(verify("2", boxed("2.001"), { relTol: 1e-4 }).correct).toBe(false);
    expect(verify("0", boxed("0.00001"), { absTol: 1e-5 }).correct).toBe(true);
    expect(verify("0", boxed("0.00002"), { absTol: 1e-5 }).correct).toBe(false);
    expect(verify("\\pi", boxed("3.1416"), { relTol: 1e-5 }).correct).toBe(true);
    expect(verify("\\pi", boxed("3.15"), { relTol: 1e-3 }).correct).toBe(false);
  });

  it("is decided exactly at its edge", () => {
    // |1 - 1.0001| = 1e-4 exactly: inside a tolerance of 1e-4 though the doubles' difference is above it.
    expect(verify("1", boxed("1.0001"), { absTol: 1e-4 }).correct).toBe(true);
    expect(verify("1", boxed("1.00010000000000000001"), { absTol: 1e-4 }).correct).toBe(false);
  });

  it("refuses a negative or non-finite tolerance", () => {
    expect(() => verify("1", boxed("1"), { relTol: -1 })).toThrow(/relTol/);
    expect(() => verify("1", boxed("1"), { absTol: Number.NaN })).toThrow(/absTol/);
  });
});

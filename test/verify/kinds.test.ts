import { describe, expect, it } from "vitest";
import { verify } from "../../src/verify/index.js";

/**
 * Hard-but-correct answers by kind (issue 14), each kind with the near misses that bound it: every new
 * acceptance must leave the rejections below standing. [gold, boxed answer, expected].
 */
const KINDS: Record<string, [string, string, boolean][]> = {
  "labelled answers": [
    ["16, 3", "w=16, d=3", true],
    ["w=16, d=3", "16, 3", true],
    ["(1,2,3)", "(x, y, z) = (1, 2, 3)", true],
    ["1, 3", "\\text{Minimum: } 1, \\text{ Maximum: } 3", true],
    ["5, 15", "5 \\text{ and } 15", true],
    ["5, 15", "5 and 15", true],
    ["(2, 3)", "a = 2, b = 3", true],
    ["w=16, d=3", "w=3, d=16", false],
    ["16, 3", "w=16, d=4", false],
    ["(1,2,3)", "(x, y, z) = (1, 3, 2)", false],
    ["5, 15", "5", false],
    ["(2, 3)", "a = 3, b = 2", false],
    ["(a, b) = (2, 3)", "a = 2, b = 3", true],
    ["(a, b) = (2, 3)", "b = 3, a = 2", true],
    ["(a, b) = (2, 3)", "b = 2, a = 3", false],
    ["(a, b) = (2, 3)", "a = 2, c = 3", false],
    ["x \\in \\{1, 2\\}", "1, 2", true],
    ["x \\in \\{1, 2\\}", "1, 3", false],
    ["6", "six", true],
    ["6", "ten", false],
  ],
  "systems written as cases": [
    ["(2, -1)", "\\begin{cases} x = 2 \\\\ y = -1 \\end{cases}", true],
    ["(2, -1)", "\\left\\{\\begin{array}{l} x=2 \\\\ y=-1 \\end{array}\\right.", true],
    ["(2, -1)", "\\begin{cases} x = -1 \\\\ y = 2 \\end{cases}", false],
    ["(2, -1)", "\\begin{cases} x = 2 \\\\ y = 1 \\end{cases}", false],
  ],
  "other names and arbitrary constants": [
    ["f(x) = x^2 + C", "f(x) = x^2 + c", true],
    ["x^2 + C", "x^2 + K", true],
    ["f(z) = z^2 + 1", "f(x) = x^2 + 1", true],
    ["x = 2k\\pi", "x = 2n\\pi", true],
    ["\\frac{\\pi}{2} + k\\pi", "\\frac{\\pi}{2} + m\\pi", true],
    ["f(x) = x^2 + C", "f(x) = x^2", false],
    ["f(z) = z^2 + 1", "f(x) = x^2 - 1", false],
    ["f(z) = z^2 + x", "f(x) = x^2 + x", false],
    ["x = k\\pi", "x = 2n\\pi", false],
    ["x + 1", "y + 1", false],
    ["x^2 + C", "x^2 + 2C", false],
  ],
  "± shorthand for tuples": [
    ["(1,2), (-1,-2)", "(\\pm 1, \\pm 2)", true],
    ["(1,2), (-1,-2), (1,-2), (-1,2)", "(\\pm 1, \\pm 2)", true],
    ["(1,1), (-1,-1)", "\\pm(1,1)", true],
    ["(\\pm 1, \\pm 2)", "(1,2), (-1,-2)", true],
    ["(1,2), (-1,-2)", "(\\pm 1, \\pm 3)", false],
    ["(1,2), (-1,-2), (1,-2)", "(\\pm 1, \\pm 2)", false],
    ["(1,2)", "(\\pm 1, \\pm 2)", false],
    ["(1,1), (-1,-1)", "\\pm(1,2)", false],
  ],
  "set-builder and intervals": [
    ["(1, \\infty)", "\\{x \\mid x > 1\\}", true],
    ["(-\\infty, 0) \\cup (1, \\infty)", "\\{x \\mid x < 0 \\text{ or } x > 1\\}", true],
    ["[1, 3]", "\\{x : 1 \\le x \\le 3\\}", true],
    ["(1, \\infty)", "\\{x \\mid x \\ge 1\\}", false],
    ["[1, 3]", "\\{x : 1 < x \\le 3\\}", false],
    ["(-\\infty, 0) \\cup (1, \\infty)", "\\{x \\mid x < 0\\}", false],
    ["(1,2) \\cup (3,4)", "(1,2) \\text{ and } (3,4)", true],
    ["(1,2) \\cup (3,4)", "(1,2) \\text{ and } (3,5)", false],
    ["(1,2) \\cup (3,4)", "(1,2), [3,4]", false],
  ],
  ordinals: [
    ["12", "12^{th}", true],
    ["12", "12^{\\text{th}}", true],
    ["3", "3\\text{rd}", true],
    ["21", "21st", true],
    ["2", "2^{nd}", true],
    ["12", "13^{th}", false],
    ["21", "12st", false],
    ["2", "2^{3}", false],
  ],
  "trailing qualifiers": [
    ["f(x) = x", "f(x) = x \\text{ for all } x \\in \\mathbb{Z}", true],
    ["x = k\\pi", "x = k\\pi \\text{ where } k \\text{ is an integer}", true],
    ["x = \\frac{\\pi}{2} + k\\pi", "x = \\frac{\\pi}{2} + n\\pi, n \\in \\mathbb{Z}", true],
    ["a_n = 3n - 1", "a_n = 3n-1 \\ (n \\in \\mathbb{N}^*)", true],
    ["x^2 + C", "x^2 + C, \\text{ where } C \\text{ is a constant}", true],
    ["f(x) = x", "f(x) = 2x \\text{ for all } x \\in \\mathbb{Z}", false],
    ["x = k\\pi", "x = 2k\\pi \\text{ where } k \\text{ is an integer}", false],
    ["\\mathbb{R}", "x \\in \\mathbb{Z}", false],
    [
      "\\left[-\\frac{\\pi}{3} + k\\pi, \\frac{\\pi}{6} + k\\pi\\right] (k \\in \\mathbb{Z})",
      "[k\\pi - \\frac{\\pi}{3}, k\\pi + \\frac{\\pi}{6}], k\\in\\mathbb{Z}",
      true,
    ],
    [
      "\\left[-\\frac{\\pi}{3} + k\\pi, \\frac{\\pi}{6} + k\\pi\\right] (k \\in \\mathbb{Z})",
      "[k\\pi - \\frac{\\pi}{3}, k\\pi + \\frac{\\pi}{3}], k\\in\\mathbb{Z}",
      false,
    ],
  ],
  "units without \\text": [
    ["50", "50 km/h", true],
    ["50", "50 \\mathrm{km/h}", true],
    ["6", "6 m/s", true],
    ["12", "12 cm^2", true],
    ["4\\sqrt{3}", "4\\sqrt{3} cm", true],
    ["50", "51 km/h", false],
    ["6", "6 m/s^2 + 1", false],
    ["6m", "6", false],
    ["x + 2", "x + 2 m", false],
  ],
  "mixed numbers": [
    ["\\frac{6257}{2}", "3128 1/2", true],
    ["3128\\frac{1}{2}", "3128.5", true],
    ["-\\frac{7}{2}", "-3 1/2", true],
    ["\\frac{6257}{2}", "3128 1/3", false],
    ["3128 \\frac{1}{2}", "3128", false],
    ["\\frac{3}{2}", "3 1/2", false],
  ],
  "times of day": [
    ["9:00", "9:00 \\text{ AM}", true],
    ["2:30 PM", "14:30", true],
    ["12:00 \\text{ noon}", "12:00", true],
    ["12:15 AM", "0:15", true],
    ["9:00", "9:00 \\text{ PM}", false],
    ["2:30 PM", "2:30", false],
    ["14:30", "2:30 AM", false],
    ["12:00", "1:00", false],
  ],
  "y = … and f(x) = …": [
    ["y = 2x + 1", "f(x) = 2x + 1", true],
    ["f(x) = 2x+1", "y = 2x + 1", true],
    ["y = 2x + 1", "f(x) = 2x - 1", false],
    ["f(x) = 2x+1", "g(x) = 2x + 1", false],
  ],
  "right-hand side of a chain": [
    ["1", "\\lim_{x \\to 0} \\frac{\\sin x}{x} = 1", true],
    ["2", "17 \\bmod 5 = 2", true],
    ["2", "17 \\equiv 2 \\pmod 5", true],
    ["2", "17 \\text{ mod } 5 = 2", true],
    ["1", "\\lim_{x \\to 0} \\frac{\\sin x}{x} = 2", false],
    ["2", "17 \\bmod 5 = 3", false],
    ["2", "17 \\bmod 5 = 4 = 2", false],
    ["2", "17 \\equiv 3 \\pmod 5", false],
    ["2", "17 \\bmod 5", true],
  ],
  "short text against a sentence": [
    ["\\text{an ellipse}", "\\text{ellipse}", true],
    ["\\text{The function is odd}", "\\text{odd}", true],
    ["\\text{The curve is a parabola}", "\\text{parabola}", true],
    ["\\text{Even}", "\\text{even}", true],
    ["\\text{an ellipse}", "\\text{hyperbola}", false],
    ["\\text{The function is odd}", "\\text{even}", false],
    ["\\text{The function is neither odd nor even}", "\\text{even}", false],
    ["\\text{The function is not odd}", "\\text{odd}", false],
    ["\\text{a circle of radius 2}", "\\text{circle}", false],
    ["\\text{odd}", "\\text{The function is odd}", true],
    ["\\text{odd}", "\\text{The function is even or odd}", false],
  ],
};

describe.each(Object.entries(KINDS))("%s", (_kind, rows) => {
  it.each(rows)("%s vs %s → %s", (gold, answer, expected) => {
    const r = verify(gold, `The answer is $\\boxed{${answer}}$.`);
    expect(r.correct, JSON.stringify(r)).toBe(expected);
  });

  it("has near misses that bound it", () => {
    expect(rows.filter((r) => !r[2]).length).toBeGreaterThanOrEqual(2);
  });
});

import { describe, expect, it } from "vitest";
import { extractAnswerTag, extractBoxed, verify } from "../../src/verify/index.js";

const boxed = (s: string) => `Some working first.\n\nSo the answer is $\\boxed{${s}}$.`;

// [gold, answer inside the box, why]
const ACCEPT: [string, string, string][] = [
  ["5", "5", "identical"],
  ["\\frac{1}{2}", "0.5", "terminating decimal"],
  ["\\frac12", "\\dfrac{1}{2}", "\\frac12 shorthand"],
  ["\\frac{7}{2}", "3\\frac{1}{2}", "mixed number"],
  ["1000000", "1,000,000", "thousands commas"],
  ["1000000", "1{,}000{,}000", "braced commas"],
  ["1000000", "1\\,000\\,000", "thin spaces"],
  ["32349", "32,\\! 349", "comma with negative space"],
  ["\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}", "radicals"],
  ["\\sqrt{8}", "2\\sqrt{2}", "square factors"],
  ["\\frac{1}{\\sqrt3}", "\\frac{\\sqrt{3}}{3}", "rationalised"],
  ["\\sqrt2 - 1", "\\frac{1}{1+\\sqrt2}", "conjugate"],
  ["\\sqrt{\\frac{95}{24}}", "\\frac{\\sqrt{570}}{12}", "HMMT radical"],
  ["2^{25} \\cdot 26!", "13532215908553332190020108288000000", "big integer"],
  ["\\frac{9}{4}\\pi", "\\frac94\\pi", "pi multiple"],
  ["2\\pi", "\\pi \\cdot 2", "commuted"],
  ["\\frac{1}{3}", "0.333", "decimal by printed digits"],
  ["\\pi", "3.14", "pi to 3 digits"],
  ["\\sqrt{17}", "4.1231", "irrational to printed digits"],
  ["\\frac{1}{12}", "0.0833333333333333", "long decimal"],
  ["0.0025", "2.5 \\times 10^{-3}", "scientific notation"],
  ["\\frac{1}{2062300}", "4.84896e-7", "plain scientific notation"],
  ["10\\%", "10", "percent (MATH convention)"],
  ["10\\%", "0.1", "percent as a fraction"],
  ["28\\%", "28 percent", "percent word"],
  ["90^\\circ", "90", "degrees (MATH convention)"],
  ["\\frac{\\pi}{2}", "90^\\circ", "degrees to radians"],
  ["135^\\circ", "\\frac{3\\pi}{4}", "radians to degrees"],
  ["5", "x = 5", "assignment"],
  ["x = 5", "5", "gold assignment"],
  ["11", "x = 5+5+1 = 11", "worked chain"],
  ["\\frac{1}{3}", "x = \\frac13 \\approx 0.33", "approximation"],
  ["(3, \\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)", "\\left/\\right"],
  ["(1,2]", "(1, 2]", "half-open interval"],
  ["[-2, 7]", "-2 \\le x \\le 7", "interval as inequality"],
  ["-2 \\le x \\le 7", "x \\in [-2,7]", "\\in interval"],
  ["(-\\infty, 3)", "x < 3", "ray"],
  ["(-\\infty,-1)\\cup(3,\\infty)", "x<-1 \\text{ or } x>3", "union as or"],
  ["[-1,0) \\cup (0,1]", "(0,1] \\cup [-1,0)", "union order"],
  ["\\{1, 2\\}", "\\{2, 1\\}", "set order"],
  ["1, 2, 3", "3, 2, 1", "answer list order"],
  ["1 \\pm \\sqrt{19}", "1+\\sqrt{19}, 1-\\sqrt{19}", "plus-minus"],
  ["x = \\pm 2", "2, -2", "plus-minus assignment"],
  ["(2, 3)", "x = 2, y = 3", "named coordinates"],
  ["(p,q)=(3,2)", "(3,2)", "tuple assignment"],
  ["y = 2x + 1", "2x - y + 1 = 0", "equation rearranged"],
  ["x^2/4 + y^2/3 = 1", "3x^2 + 4y^2 = 12", "equation scaled"],
  ["x > 5", "5 < x", "inequality flipped"],
  ["x \\le 1", "-x \\ge -1", "inequality negated"],
  ["(x-1)(x+2)", "x^2 + x - 2", "polynomial identity"],
  ["\\tan^2 y + 1", "\\sec^2 y", "trig identity"],
  ["\\frac{x+2}{7}", "\\frac{x}{7}+\\frac{2}{7}", "rational function"],
  ["\\sin(30^\\circ)", "\\frac12", "exact trig value"],
  ["\\log_2 8", "3", "exact logarithm"],
  ["\\ln 6", "\\ln 2 + \\ln 3", "log identity"],
  ["\\binom{10}{3}", "120", "binomial"],
  ["10!", "3628800", "factorial"],
  ["3 + 4i", "4i + 3", "complex"],
  ["i", "\\sqrt{-1}", "imaginary unit"],
  [
    "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
    "\\left[\\begin{array}{cc}1 & 2 \\\\3 & 4\\end{array}\\right]",
    "matrix",
  ],
  ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "(1, 2)", "column vector as tuple"],
  ["\\text{(C)}", "C", "multiple choice"],
  ["C", "\\textbf{(C)}", "multiple choice bold"],
  ["\\text{Evelyn}", "Evelyn", "word answer"],
  ["\\text{even}", "\\text{Even}", "word case"],
  ["15\\mbox{ cm}^2", "15", "unit"],
  ["12", "12 \\text{ cm}^2", "unit on the answer"],
  ["125", "125 \\textnormal{ miles}", "unit word"],
  ["\\$5.00", "5", "currency"],
  ["5", "\\$5", "currency on the answer"],
  ["204_5", "204", "base subscript"],
  ["6 \\text{ and } 8", "6, 8", "and list"],
  ["k \\ge 2", "k \\geq 2", "\\geq"],
  ["f(x) = x^2", "x^2", "function assignment"],
  ["0.5", ".5", "leading dot"],
  ["2", "2.", "trailing period"],
  ["\\infty", "\\infty", "infinity"],
  ["\\frac{-1+\\sqrt{17}}{2}, \\frac{-1-\\sqrt{17}}{2}", "\\frac{-1\\pm\\sqrt{17}}{2}", "HMMT pair"],
  ["F_n = \\sum_{k=0}^{n-1} F_k F_{n-k-1}", "F_n = \\sum_{k=0}^{n-1} F_{n-k-1} F_k", "sum"],
  ["10^{10^{10}}", "10^{10^{10}}", "too big to evaluate, identical"],
  ["2", "\\text{two}", "number word"],
  ["\\frac16", "0.1\\overline{6}", "repeating decimal"],
  ["B", "(B) 12", "choice with its value"],
  ["\\text{(B) } 12", "B", "gold choice with its value"],
  ["(-\\infty, \\infty)", "\\mathbb{R}", "all reals"],
  ["(-\\infty, 1) \\cup (2, \\infty)", "(-\\infty, 1) U (2, \\infty)", "U for union"],
  ["248", "The smallest possible value of \\(a_{10}\\) is \\(248\\).", "answer in a sentence"],
  ["The smallest possible value of \\(a_{10}\\) is \\(248\\).", "248", "gold in a sentence"],
  ["5", "\\text{5 apples}", "unit inside text"],
  ["10", "10^{\\circ}\\text{C}", "unit letter after degrees"],
  ["12", "3 \\cdot 4 = 12", "true chain"],
  ["5", "5 \\approx 4.99", "honest approximation"],
  ["\\frac{1}{2}", "50\\%", "percent of a fraction"],
  ["1.2 \\times 10^{6}", "1200000", "scientific gold"],
  ["\\sqrt[3]{2}", "2^{1/3}", "cube root"],
  ["\\sqrt[3]{-8}", "-2", "odd root of a negative"],
  ["e^2", "\\exp(2)", "exp"],
  ["\\frac{n(n+1)}{2}", "\\binom{n+1}{2}", "binomial identity"],
  ["(1, +\\infty)", "\\{x \\mid x > 1\\}", "set-builder"],
  ["(n+1)!", "(n+1) n!", "factorial identity at integer points"],
  ["\\infty", "\\text{infinity}", "infinity in words"],
  ["\\emptyset", "\\text{no solution}", "no solution is the empty set"],
  ["\\frac13", "33.3\\%", "percent with printed digits"],
  ["2^{n+1}-2", "2(2^n-1)", "exponential identity"],
  ["\\log_3 5", "\\frac{\\ln 5}{\\ln 3}", "change of base"],
  ["a_n = 2n - 1", "2n-1", "sequence formula"],
  ["\\frac12", "\\frac{1}{2} \\text{ or } 0.5", "one value written twice"],
  ["f^{-1}(x) = \\frac{x-1}{2}", "\\frac{x-1}{2}", "inverse function assignment"],
  ["\\angle ABC = 30^\\circ", "30", "named angle"],
  ["1011_2", "1011_{(2)}", "base in parentheses"],
  ["\\frac{180 \\pi}{13}", "43.4989752035", "last digit off by one, 12 significant digits"],
  ["\\frac{\\pi}{4-\\pi}", "3.65979236633", "no exact inverse, float value"],
  ["\\frac{1}{3} + \\frac{1}{3 \\cdot 2^{2003}}", "0.333333333333", "long terminating decimal approximated"],
  [
    "\\frac{1}{2}\\left[\\left(\\frac{1}{3}\\right)^{2}+1\\right]",
    "\\frac{5}{9}",
    "square brackets as grouping",
  ],
  ["\\frac{11}{2^{20}", "\\frac{11}{1048576}", "gold missing its closing brace"],
  ["(2,3)", "x = 2 \\quad y = 3", "\\quad separates answers"],
];

const REJECT: [string, string, string][] = [
  ["\\frac{1}{2004!}", "\\frac{1}{2006!}", "tiny distinct values"],
  ["\\frac{1}{2^{99}}", "\\frac{1}{2^{98}}", "tiny powers"],
  ["(1,2]", "(1,2)", "interval brackets"],
  ["[1,2]", "\\{1,2\\}", "interval vs set"],
  ["5", "500", "percent scaling"],
  ["5", "0.05", "percent scaling down"],
  ["2", "2.0001", "no tolerance"],
  ["\\frac{1}{3}", "0.3", "one significant digit"],
  ["\\frac{1}{4}", "0.3", "terminating needs exact"],
  ["\\frac{\\pi}{6}", "30", "radians vs bare number"],
  ["x > 5", "x < 5", "inequality direction"],
  ["x \\ge 5", "x > 5", "strictness"],
  ["y = 2x + 1", "2x - y - 1 = 0", "different line"],
  ["x^2 + 1", "x^2 - 1", "different polynomial"],
  ["x + 1", "y + 1", "different variable"],
  ["(3,1)", "(1,3)", "tuple order"],
  ["1, 2", "1", "missing answer"],
  ["1", "1, 2", "hedged answer"],
  ["\\pm 2021", "2021", "missing sign"],
  ["\\sqrt{10^{20}+1}", "10^{10}", "close irrational"],
  ["4", "4\\sqrt{2}", "radical dropped"],
  [
    "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
    "\\begin{pmatrix} 1 & 2 \\\\ 3 & 5 \\end{pmatrix}",
    "matrix entry",
  ],
  ["A", "B", "multiple choice"],
  ["\\text{even}", "\\text{odd}", "words"],
  ["40", "40_9", "a base-9 numeral is another number"],
  ["10", "10^{10^{10}}", "huge value"],
  ["1000", "1000!", "factorial"],
  ["7 = 11a+c", "11a+c", "gold equation is not an assignment"],
  ["12:00", "1:00", "times"],
  ["5", "0 = 5", "false chain states nothing"],
  ["5", "1 \\approx 5", "false approximation"],
  ["11", "x = 5+5+1 = 7 = 11", "inconsistent chain"],
  ["5", "It is either 3 or 5", "hedge in a sentence"],
  ["B", "(C) 12", "other choice"],
  ["\\frac{\\pi}{3}", "30^\\circ", "wrong angle"],
  ["1000", "1, 000", "list, not thousands"],
  ["3", "3 or 4", "hedge"],
  ["n!", "(n-1)!", "different factorial"],
  ["\\frac13", "33\\%", "percent too coarse"],
  ["a_n = 2n-1", "a_n = 2n+1", "different formula"],
  ["\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "-1", "matrix vs its last entry"],
  ["-1", "\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "number vs a matrix"],
  ["\\frac12", "\\frac12 \\text{ or } 0.4", "two different values"],
  ["\\frac{1}{8}", "0.13", "short terminating decimal needs every digit"],
  ["2^{2007}", "1.46960728995 \\times 10^{604}", "an integer needs every digit"],
  ["\\frac{1}{3}", "0.334", "last digit off, only three digits"],
  ["12", "3 \\quad 4", "\\quad does not multiply"],
];

describe("verify", () => {
  it.each(ACCEPT)("accepts %s vs %s (%s)", (gold, answer) => {
    const r = verify(gold, boxed(answer));
    expect(r, JSON.stringify(r)).toMatchObject({ correct: true });
  });

  it.each(REJECT)("rejects %s vs %s (%s)", (gold, answer) => {
    const r = verify(gold, boxed(answer));
    expect(r, JSON.stringify(r)).toMatchObject({ correct: false });
  });

  it("says which rule decided", () => {
    expect(verify("\\frac12", "\\boxed{0.5}").reason).toBe("exact");
    expect(verify("x^2-1", "\\boxed{(x-1)(x+1)}").reason).toBe("identity");
    expect(verify("y=2x", "\\boxed{2x-y=0}").reason).toBe("equation");
    expect(verify("\\frac13", "\\boxed{0.333}").reason).toBe("decimal");
    expect(verify("5", "five").reason).toBe("no-answer");
  });

  it("needs a box for rewards; evaluation fallbacks are opt-in", () => {
    const text = "The final answer is $42$. I hope it is correct.";
    expect(verify("42", text)).toEqual({ correct: false, extracted: null, reason: "no-answer" });
    expect(verify("42", text, { fallback: true })).toMatchObject({ correct: true, extracted: "42" });
    expect(verify("42", "after all that, 42", { fallback: true }).correct).toBe(true);
    expect(verify("42", "42", { bareAnswer: true }).correct).toBe(true);
  });

  it("reads the R1-Zero <answer> tag", () => {
    const r1 = "<think>6 times 7</think> <answer>42</answer>";
    expect(verify("42", r1, { format: "answer-tag" })).toMatchObject({ correct: true, extracted: "42" });
    expect(verify("42", "<answer>so \\boxed{42}</answer>", { format: "answer-tag" }).correct).toBe(true);
    expect(verify("42", "<think>42</think>", { format: "answer-tag" }).reason).toBe("no-answer");
  });

  it("applies strict percent and degree options", () => {
    expect(verify("10\\%", "\\boxed{10}", { percent: "strict" }).correct).toBe(false);
    expect(verify("10\\%", "\\boxed{0.1}", { percent: "strict" }).correct).toBe(true);
    expect(verify("90^\\circ", "\\boxed{90}", { degrees: "strict" }).correct).toBe(false);
    expect(verify("90^\\circ", "\\boxed{\\frac{\\pi}{2}}", { degrees: "strict" }).correct).toBe(true);
  });

  it("accepts a relative tolerance only when asked", () => {
    expect(verify("\\pi", "\\boxed{3.1416}").correct).toBe(true);
    expect(verify("\\pi", "\\boxed{3}").correct).toBe(false);
    expect(verify("\\pi", "\\boxed{3}", { relTol: 0.05 }).correct).toBe(true);
  });

  it("never throws on bad input", () => {
    expect(verify(undefined as unknown as string, "x").reason).toBe("bad-input");
    expect(verify("5", "\\boxed{\\frac{1}{0}}").correct).toBe(false);
    expect(verify("5", "\\boxed{}").correct).toBe(false);
  });
});

describe("extraction", () => {
  it.each([
    ["\\boxed{1}", ["1"]],
    ["a \\boxed{\\frac{1}{2}} b \\boxed{\\{1, 2\\}}", ["\\{1, 2\\}"]],
    ["\\boxed{5}. Wait, actually \\boxed{6}.", ["6"]],
    ["\\boxed{5}. Wait, \\boxed{6}", ["6"]],
    ["\\boxed{1} is wrong, let me redo the whole thing: \\boxed{2}", ["2"]],
    ["so \\boxed 5.", ["5"]],
    ["\\fbox{7}", ["7"]],
    ["$\\boxed{1}$ and $\\boxed{2}$", ["2"]],
    ["\\boxed{\\boxed{3}}", ["3"]],
    ["\\boxed{x^{2}", null],
    ["\\boxed{42} but then \\boxed{4", null],
    ["no box", null],
  ] as [string, string[] | null][])("last box: %s", (s, want) => {
    expect(extractBoxed(s)).toEqual(want);
    expect(extractBoxed(s, "last")).toEqual(want);
  });

  it.each([
    ["a \\boxed{\\frac{1}{2}} b \\boxed{\\{1, 2\\}}", ["\\frac{1}{2}", "\\{1, 2\\}"]],
    ["$\\boxed{1}$ and $\\boxed{2}$", ["1", "2"]],
    ["\\boxed{(3,3)} for part (a) and \\boxed{(1,1)}", ["(3,3)", "(1,1)"]],
    ["\\boxed{1} is wrong, let me redo the whole thing: \\boxed{2}", ["2"]],
    ["\\boxed{1} then much later after a lot of unrelated text that goes on \\boxed{2}", ["2"]],
    ["\\boxed{42} but then \\boxed{4", null],
    ["\\boxed{5}. Wait, \\boxed{6}", ["6"]],
    ["\\boxed{5}, no: \\boxed{6}", ["6"]],
  ] as [string, string[] | null][])("list mode: %s", (s, want) => {
    expect(extractBoxed(s, "list")).toEqual(want);
  });

  it("reads <answer> tags", () => {
    expect(extractAnswerTag("<answer> 12 </answer>")).toEqual(["12"]);
    expect(extractAnswerTag("<answer>a</answer> <answer>b</answer>")).toEqual(["b"]);
    expect(extractAnswerTag("<answer>open")).toBeNull();
  });
});

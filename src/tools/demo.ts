/**
 * The tool demo (report §4.4, Table 7 in miniature): a tiny model is fine-tuned on generated traces that put a
 * multi-digit product in a ```python block and copy the interpreter's output into \boxed{}. On held-out
 * problems it is evaluated twice with the same greedy decoding: with tool execution (the sandbox's output is
 * appended) and without (the model must write the output itself). It cannot multiply in its head, so only the
 * first can be right: the gap is what the tool is worth.
 *
 * The run is an ordinary `still train` config (configs/demo-tools.yaml) over the synthetic source `mul`
 * (src/data/synthetic.ts), built from the problems and traces here.
 */

import { mulberry32 } from "../util/rng.js";
import { DIALECTS, type DialectName } from "./dialect.js";

export interface ArithmeticProblem {
  a: number;
  b: number;
  answer: string;
}

export interface DemoDataOptions {
  seed: number;
  /** Digits of the first and second factor, [min, max]. */
  aDigits: [number, number];
  bDigits: [number, number];
  trainProblems: number;
  testProblems: number;
}

export const DEMO_DATA_DEFAULTS: Omit<DemoDataOptions, "seed"> = {
  aDigits: [3, 4],
  bDigits: [2, 3],
  trainProblems: 20_000,
  testProblems: 100,
};

/** Disjoint train and test problems. */
export function arithmeticProblems(options: DemoDataOptions): {
  train: ArithmeticProblem[];
  test: ArithmeticProblem[];
} {
  const rand = mulberry32(options.seed);
  const pick = ([lo, hi]: [number, number]) => lo + Math.floor(rand() * (hi - lo + 1));
  const number = (digits: number) =>
    10 ** (digits - 1) + Math.floor(rand() * (10 ** digits - 10 ** (digits - 1)));
  const seen = new Set<string>();
  const draw = (count: number): ArithmeticProblem[] => {
    const out: ArithmeticProblem[] = [];
    while (out.length < count) {
      const a = number(pick(options.aDigits));
      const b = number(pick(options.bDigits));
      const key = `${a}*${b}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ a, b, answer: String(BigInt(a) * BigInt(b)) });
    }
    return out;
  };
  const test = draw(options.testProblems);
  return { train: draw(options.trainProblems), test };
}

/** The question text; the run config's prompt template wraps it. */
export function demoQuestion(p: ArithmeticProblem): string {
  return `${p.a}*${p.b}`;
}

/** The code block the model is taught to write, closed by the dialect's stop string. */
export function demoCall(p: ArithmeticProblem, dialect: DialectName): string {
  return DIALECTS[dialect].formatCall(`print(${p.a}*${p.b})`);
}

/** A full trace: the call, the interpreter's output in the dialect's bytes, the answer. */
export function demoTrace(p: ArithmeticProblem, dialect: DialectName): string {
  return `${demoCall(p, dialect)}${DIALECTS[dialect].formatOutput(p.answer)}\\boxed{${p.answer}}`;
}

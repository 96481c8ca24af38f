import { arithmeticProblems, DEMO_DATA_DEFAULTS, demoQuestion, demoTrace } from "../tools/demo.js";
import { DIALECTS, type DialectName } from "../tools/dialect.js";
import { mulberry32, permutation } from "../util/rng.js";
import type { QaRecord, SftRecord } from "./records.js";

/**
 * Synthetic tasks generated in code, so the demo and the tests need no download. A source is named
 * `synthetic:<task>/<split>` wherever a data file is expected.
 *
 * `max3`: "max of a b c" over single digits, answer in \boxed{}. The `sft` split is the cold start: the right
 * format with a naive rule (the first number half of the time, otherwise any number of the list), so after
 * SFT the model answers in a box, copies a number from the question, and is right only about a third of the
 * time: RL with the correctness reward must discover the rule. The 1,000 possible questions are split
 * 800 train / 200 test by a fixed shuffle; the SFT split (4 naive answers per train question, 3,200 pairs) is built from the train questions only.
 *
 * `mul`: the tool demo's products of a 3-4 digit and a 2-3 digit number (src/tools/demo.ts): 20,000 `train`
 * questions, 100 disjoint `test` ones, and `sft` traces of the train questions that compute the product in a
 * code block and box the interpreter's output, in the `still` dialect (`sft-<dialect>` for another one).
 */

export const SYNTHETIC_PREFIX = "synthetic:";

const MAX3_TEST = 200;
const MAX3_SPLIT_SEED = 20_241_125;
const MAX3_SFT_COPIES = 4;

function max3Lists(): number[][] {
  const all: number[][] = [];
  for (let a = 0; a < 10; a++) for (let b = 0; b < 10; b++) for (let c = 0; c < 10; c++) all.push([a, b, c]);
  return permutation(all.length, MAX3_SPLIT_SEED).map((i) => all[i]!);
}

const max3Question = (xs: number[]) => `max of ${xs.join(" ")}`;

function max3(split: string): QaRecord[] | SftRecord[] {
  const lists = max3Lists();
  const test = lists.slice(0, MAX3_TEST);
  const train = lists.slice(MAX3_TEST);
  const qa = (xs: number[]): QaRecord => ({
    question: max3Question(xs),
    answer: String(Math.max(...xs)),
    source: "max3",
  });
  switch (split) {
    case "train":
      return train.map(qa);
    case "test":
      return test.map(qa);
    case "sft": {
      // Several independent naive answers per question: the cold start learns the rule's distribution
      // (box a number of the list, the first one more often) instead of memorising one answer per question.
      const rand = mulberry32(MAX3_SPLIT_SEED + 1);
      return Array.from({ length: MAX3_SFT_COPIES }, () => train).flatMap((lists) =>
        lists.map((xs) => {
          const pick = rand() < 0.5 ? xs[0]! : xs[Math.floor(rand() * xs.length)]!;
          return { prompt: max3Question(xs), response: `\\boxed{${pick}}` };
        }),
      );
    }
    default:
      throw new Error(`synthetic:max3 has splits train, test and sft; got "${split}"`);
  }
}

const MUL_SEED = 0;

function mul(split: string): QaRecord[] | SftRecord[] {
  const { train, test } = arithmeticProblems({ ...DEMO_DATA_DEFAULTS, seed: MUL_SEED });
  const qa = (p: (typeof train)[number]): QaRecord => ({
    question: demoQuestion(p),
    answer: p.answer,
    source: "mul",
  });
  if (split === "train") return train.map(qa);
  if (split === "test") return test.map(qa);
  const dialect = split === "sft" ? "still" : split.startsWith("sft-") ? split.slice(4) : null;
  if (dialect !== null && dialect in DIALECTS) {
    return train.map((p) => ({ prompt: demoQuestion(p), response: demoTrace(p, dialect as DialectName) }));
  }
  throw new Error(
    `synthetic:mul has splits train, test, sft and sft-<dialect> (${Object.keys(DIALECTS).join(", ")}); got "${split}"`,
  );
}

const TASKS: Record<string, (split: string) => QaRecord[] | SftRecord[]> = { max3, mul };

export function isSynthetic(source: string): boolean {
  return source.startsWith(SYNTHETIC_PREFIX);
}

/** Records of `synthetic:<task>/<split>`. */
export function syntheticRecords(source: string): QaRecord[] | SftRecord[] {
  const spec = source.slice(SYNTHETIC_PREFIX.length);
  const [task, split, ...rest] = spec.split("/");
  const make = task === undefined ? undefined : TASKS[task];
  if (make === undefined || split === undefined || rest.length > 0) {
    throw new Error(
      `unknown synthetic source "${source}": expected synthetic:<task>/<split> with task one of ${Object.keys(TASKS).join(", ")}`,
    );
  }
  return make(split);
}

/**
 * The report's question filters for RL training data (STILL-3 §2 data curation: drop multiple-choice, proof,
 * multi-part and concept/open-ended questions, and answers a rule-based verifier cannot check). Each filter is
 * a pure predicate on (question, answer) returning why it removes the row, or null to keep it.
 */
import { verify } from "../verify/index.js";

export type FilterName = "multiple_choice" | "proof" | "multi_part" | "open_ended" | "unparseable_answer";

export type QuestionFilter = (question: string, answer: string) => string | null;

/** (A) not right after a letter or command (`f(A)`, `\ln(A)` are not options), \textbf{(A)}, or a line "A." */
const CHOICE_MARK =
  /(?<![A-Za-z\\_^])\(\s*([A-E])\s*\)|\\textbf\{\s*\(?([A-E])\)?\s*\}|(?:^|\n)\s*([A-E])[.):]\s/g;

/** Options labelled (A), (B)… , \textbf{(A)}, or "A." lines — at least A and B — or a bare letter answer. */
export const multipleChoice: QuestionFilter = (question, answer) => {
  const labels = new Set<string>();
  for (const m of question.matchAll(CHOICE_MARK)) labels.add((m[1] ?? m[2] ?? m[3])!);
  if (labels.has("A") && labels.has("B")) return `options ${[...labels].sort().join(", ")}`;
  if (/^\s*(?:\\text(?:bf)?\{)?\s*\(?[A-E]\)?\s*\}?\s*$/.test(answer))
    return `letter answer "${answer.trim()}"`;
  return null;
};

/** Asks for a proof: "prove", "show that", "demonstrate that", or the answer is itself a proof marker. */
export const proof: QuestionFilter = (question, answer) => {
  const m = /\b(prove|proof|show that|demonstrate that|justify your answer)\b/i.exec(question);
  if (m !== null) return `"${m[0]}"`;
  if (/^\s*(?:proof|q\.?e\.?d\.?|see (?:the )?proof)\b/i.test(answer)) return "the answer is a proof";
  return null;
};

/** Parts labelled (a)(b), (1)(2) or (i)(ii) in the question, or several labelled answers. */
export const multiPart: QuestionFilter = (question, answer) => {
  const parts = [
    [/(?:^|[\s:;.])\(a\)\s/i, /(?:^|[\s:;.])\(b\)\s/i],
    [/(?:^|[\s:;.])\(1\)\s/, /(?:^|[\s:;.])\(2\)\s/],
    [/(?:^|[\s:;.])\(i\)\s/i, /(?:^|[\s:;.])\(ii\)\s/i],
    [/(?:^|\n)\s*(?:part\s*)?a[.)]\s/i, /(?:^|\n)\s*(?:part\s*)?b[.)]\s/i],
  ] as const;
  for (const [first, second] of parts) {
    const a = first.exec(question);
    if (a !== null && second.test(question.slice(a.index + a[0].length))) return `parts ${a[0].trim()} …`;
  }
  if (/\(a\)[\s\S]*\(b\)/i.test(answer)) return "labelled answers (a), (b)";
  return null;
};

/** Concept or open-ended: the question asks to explain/describe/discuss, or the answer is prose, not math. */
export const openEnded: QuestionFilter = (question, answer) => {
  // Not "define": "Define the sequence a_n by … Find a_10" is ordinary competition phrasing.
  const m = /^\s*(explain|describe|discuss|why\b|what do you think|in your own words)/i.exec(question);
  if (m !== null) return `asks "${m[1]}"`;
  const words = answer.match(/[A-Za-z]{2,}/g) ?? [];
  const mathy = /[0-9$\\^_=+\-*/<>()[\]{}]/.test(answer);
  if (words.length >= 5 && !mathy) return `prose answer (${words.length} words)`;
  return null;
};

/** A response the gold answer is compared with, so the verifier reports whether it could read the gold. */
const PROBE = String.raw`\boxed{918273645}`;

/**
 * The verifier's public entry point cannot read the gold answer (reason `unparsed-gold` or `no-gold` when
 * grading a probe response against it): a rule-based reward could never pay for it. (Verifying the gold against
 * itself would not tell: identical strings match before parsing.)
 */
export const unparseableAnswer: QuestionFilter = (_question, answer) => {
  if (answer.trim() === "") return "empty answer";
  const { reason } = verify(answer, PROBE);
  return reason === "unparsed-gold" || reason === "no-gold" ? `verifier: ${reason}` : null;
};

/** In the order they run; a row is counted under the first filter that removes it. */
export const FILTERS: readonly (readonly [FilterName, QuestionFilter])[] = [
  ["multiple_choice", multipleChoice],
  ["proof", proof],
  ["multi_part", multiPart],
  ["open_ended", openEnded],
  ["unparseable_answer", unparseableAnswer],
];

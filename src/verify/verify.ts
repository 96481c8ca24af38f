import { compareAnswers } from "./compare.js";
import {
  extractAnswerTag,
  extractBoxed,
  extractFallback,
  hasBoxCommand,
  lastFinalAnswerAt,
  stripMathDelimiters,
} from "./extract.js";
import { parseAnswer } from "./parse.js";
import { type GradingPolicy, resolvePolicy } from "./policy.js";
import type { VerifyOptions, VerifyResult } from "./types.js";

/** Inputs longer than this are cut to their last part before extraction: answers sit at the end. */
export const MAX_RESPONSE_CHARS = 200_000;
/** An extracted answer longer than this is not graded (no real answer is this long). */
export const MAX_ANSWER_CHARS = 2_000;

/**
 * Grades one response against a gold answer under the grading policy (policy.ts; defaults for what `options`
 * leaves out). Pure and bounded: never throws on any input, never takes more than a few milliseconds (see the
 * caps in parse.ts and evaluate.ts). Only an invalid option (a negative tolerance) throws.
 */
export function verify(gold: string, response: string, options: VerifyOptions = {}): VerifyResult {
  const policy = resolvePolicy(options);
  try {
    return verifyUnsafe(gold, response, policy);
  } catch (err) {
    // Every cap is meant to be handled where it bites; this is the last line so a reward never throws.
    return { correct: false, extracted: null, reason: `internal-error: ${(err as Error).message}` };
  }
}

function verifyUnsafe(gold: string, response: string, options: GradingPolicy): VerifyResult {
  if (typeof gold !== "string" || typeof response !== "string") {
    return { correct: false, extracted: null, reason: "bad-input" };
  }
  if (response.length > MAX_RESPONSE_CHARS) response = response.slice(-MAX_RESPONSE_CHARS);
  const pred = extractPred(response, options);
  if (!pred) {
    // A box that is never closed: the response was cut off (or stopped) before it said what it boxes.
    const unclosed = options.format === "boxed" && hasBoxCommand(response) && !extractBoxed(response);
    return { correct: false, extracted: null, reason: unclosed ? "no-answer: unclosed box" : "no-answer" };
  }
  const extracted = pred.join(", ");
  if (extracted.length > MAX_ANSWER_CHARS) return { correct: false, extracted, reason: "answer-too-long" };
  const goldAnswer = extractGold(
    gold.length > MAX_RESPONSE_CHARS ? gold.slice(-MAX_RESPONSE_CHARS) : gold,
    options,
  );
  if (!goldAnswer) return { correct: false, extracted, reason: "no-gold" };
  if (goldAnswer.join(", ").length > MAX_ANSWER_CHARS)
    return { correct: false, extracted, reason: "gold-too-long" };
  const r = compareAnswers(goldAnswer, pred, options);
  return { correct: r.equal, extracted, reason: r.reason };
}

function extractPred(response: string, options: GradingPolicy): string[] | null {
  const primary =
    options.format === "answer-tag"
      ? extractAnswerTag(response, options.boxes)
      : extractBoxed(response, options.boxes);
  if (primary) {
    if (!options.fallback) return primary;
  } else {
    // An unclosed box is no answer under every option: the bare text or a fallback would grade a cut-off box.
    if (options.format === "boxed" && hasBoxCommand(response)) return null;
    if (options.bareAnswer) {
      const t = stripMathDelimiters(response).trim();
      return t ? [t] : null;
    }
    if (!options.fallback) return null;
  }
  // Evaluation: a "final answer is …" sentence after the last box is the model's last word.
  if (primary && lastFinalAnswerAt(response) < response.lastIndexOf("\\boxed")) return primary;
  return extractFallback(response, parses) ?? primary;
}

function parses(answer: string): boolean {
  try {
    parseAnswer(answer);
    return true;
  } catch {
    return false;
  }
}

/** Gold is normally a bare answer; a boxed gold (or, for evaluation, a full solution) is extracted like a response. */
function extractGold(gold: string, options: GradingPolicy): string[] | null {
  // Gold is trusted: all its adjacent boxes are its answer list.
  const boxed = extractBoxed(gold, "list");
  if (boxed) return boxed;
  if (options.fallback) return extractFallback(gold, parses);
  const t = stripMathDelimiters(gold).trim();
  return t ? [t] : null;
}

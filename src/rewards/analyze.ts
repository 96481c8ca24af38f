import { verify } from "../verify/index.js";
import type { AnswerFormat, Grading, ScoreContext } from "./builtin.js";
import type { KeywordMatcher } from "./keywords.js";
import type { RewardPlan } from "./plan.js";
import { BUILTIN_BY_NAME } from "./registry.js";
import type { Components, RewardSample, Verdict } from "./types.js";

/**
 * The built-in part of scoring one sample: one verification, one keyword pass, then every built-in component.
 * Pure; runs on the scoring worker threads.
 */

/**
 * A sample as the built-in workers receive it: the response may be UTF-8 bytes in shared memory (the bridge's
 * packed batches), scanned in place; only the tail the verifier needs is decoded, or the whole text when a
 * component reads it (format, tool use).
 */
export type BuiltinSample = Omit<RewardSample, "response"> & { response: string | Uint8Array };

/** Built-in result of one sample, before user rewards and the weighted total. */
export interface BuiltinScore {
  verdict: Verdict;
  /** Length used by RRL, QS and RS: `responseTokens`, or an estimate when absent. */
  lengthTokens: number;
  /** Unweighted component values and metrics, by name. */
  components: Components;
  /** Weighted sum of the additive built-in components. */
  weighted: number;
  /** False when a gate component (format in gate mode) failed: the sample's reward is 0. */
  gateOpen: boolean;
}

/** Characters per token assumed when a sample carries no token count (the HTTP contract sends text only). */
export const CHARS_PER_TOKEN = 4;

/** Text kept before the last box: enough for the adjacent boxes of a list answer (`\boxed{1}, \boxed{2}`). */
const BOX_CONTEXT = 4096;

/**
 * The part of a response the verifier needs: answers sit at the end, so it gets the text from a little before
 * the last box (or the last `<answer>`), not 32 KB of reasoning. Works on a string or on UTF-8 bytes (the
 * markers are ASCII, so byte and character searches agree; a cut inside a multi-byte character only garbles
 * text thousands of characters before the answer).
 */
export function answerTail(response: string | Uint8Array, format: AnswerFormat): string {
  const text =
    typeof response === "string"
      ? response
      : Buffer.from(response.buffer, response.byteOffset, response.byteLength);
  let at: number;
  if (format === "answer-tag") at = text.lastIndexOf("<answer>");
  else {
    // The last \boxed sits near the end, so the backward search is short; \fbox is then looked for only after
    // it (a backward search for an absent \fbox would read the whole response).
    at = text.lastIndexOf("\\boxed");
    if (at === -1) at = text.lastIndexOf("\\fbox");
    else for (let f = text.indexOf("\\fbox", at); f !== -1; f = text.indexOf("\\fbox", f + 1)) at = f;
  }
  const from =
    at === -1
      ? Math.max(0, text.length - BOX_CONTEXT)
      : format === "answer-tag"
        ? at
        : Math.max(0, at - BOX_CONTEXT);
  return typeof text === "string" ? (from === 0 ? text : text.slice(from)) : text.toString("utf8", from);
}

/** Decode a response held as UTF-8 bytes. */
export function responseText(response: string | Uint8Array): string {
  return typeof response === "string"
    ? response
    : Buffer.from(response.buffer, response.byteOffset, response.byteLength).toString("utf8");
}

export function judge(
  sample: Pick<BuiltinSample, "groundTruth" | "response">,
  grading: Grading | AnswerFormat,
) {
  const g = typeof grading === "string" ? { format: grading } : grading;
  const r = verify(sample.groundTruth, answerTail(sample.response, g.format), g);
  const verdict: Verdict = r.extracted === null ? "unanswered" : r.correct ? "correct" : "wrong";
  return { verdict, extracted: r.extracted };
}

export function scoreBuiltins(
  sample: BuiltinSample,
  plan: RewardPlan,
  keywords: KeywordMatcher,
): BuiltinScore {
  const { verdict } = judge(sample, plan.grading);
  const raw = sample.response;
  const counts = typeof raw === "string" ? keywords.count(raw) : keywords.countBytes(raw);
  let decoded: string | undefined;
  const text = () => {
    decoded ??= responseText(raw);
    return decoded;
  };
  const components: Components = {};
  const estimated = sample.responseTokens === undefined;
  const lengthTokens = sample.responseTokens ?? Math.ceil(text().length / CHARS_PER_TOKEN);
  const ctx: ScoreContext = {
    verdict,
    lengthTokens,
    truncated: sample.truncated,
    prompt: sample.prompt,
    text,
    keywordCount: (set) => counts[keywords.names.indexOf(set)] ?? 0,
    extra: sample.extra,
  };
  let weighted = 0;
  let gateOpen = true;
  for (const c of plan.builtins) {
    const result = BUILTIN_BY_NAME.get(c.kind)!.score(c.params, ctx);
    const { value, metrics = {}, gate = false } = typeof result === "number" ? { value: result } : result;
    for (const [key, v] of Object.entries(metrics)) components[`${c.name}.${key}`] = v;
    components[c.name] = value;
    if (gate) gateOpen &&= value === 1;
    else weighted += c.weight * value;
  }
  components.acc = verdict === "correct" ? 1 : 0;
  components.answered = verdict === "unanswered" ? 0 : 1;
  components.length_tokens = lengthTokens;
  if (estimated) components.length_estimated = 1;
  // Presence, not counts: the batch mean of these is the keyword-ratio metric (keywordRatios), so a trainer that
  // averages logged components per step draws the report's "aha moment" curves directly.
  for (const name of plan.categories)
    components[name] = (counts[keywords.names.indexOf(name)] ?? 0) > 0 ? 1 : 0;
  return { verdict, lengthTokens, components, weighted, gateOpen };
}

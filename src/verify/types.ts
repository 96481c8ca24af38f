/** Public types of the answer verifier. */

export interface VerifyOptions {
  /**
   * Where the model's answer is: `"boxed"` (default) takes the last `\boxed{}`/`\fbox{}`; `"answer-tag"` takes
   * the last `<answer>…</answer>` (R1-Zero prompt format), and a box inside it.
   */
  format?: "boxed" | "answer-tag";
  /**
   * Which boxes count: `"last"` (default; a model that corrects itself, "\boxed{5}. Wait, \boxed{6}", answers 6)
   * or `"list"`: the last box and the boxes adjacent to it ("\boxed{1} and \boxed{2}"), for questions that ask
   * for several answers.
   */
  boxes?: "last" | "list";
  /**
   * Evaluation only: when there is no box/tag, fall back to "the final answer is …", a bare answer, the last
   * `$…$` and finally the last number. Off by default: a reward must not pay for an answer the model did not mark.
   */
  fallback?: boolean;
  /**
   * The response may be a bare answer: when it has no box/tag, the whole response is the answer (CLI and
   * data-cleaning inputs). Off for rewards.
   */
  bareAnswer?: boolean;
  /** `10\%` matches `10` and `0.1` (`"loose"`, the MATH convention, default) or only `0.1`/`10\%` (`"strict"`). */
  percent?: "loose" | "strict";
  /** `90^\circ` matches `90` and `\frac{\pi}{2}` (`"loose"`, default) or only `\frac{\pi}{2}`/`90^\circ` (`"strict"`). */
  degrees?: "loose" | "strict";
  /**
   * Numeric tolerance: two numbers a, b also match when |a − b| ≤ max(relTol·max(|a|,|b|), absTol), decided with
   * a proven error bound. Default 0 and 0: no tolerance; a decimal still matches a value that rounds to its
   * printed digits (the MATH convention, docs/grading.md).
   */
  relTol?: number;
  absTol?: number;
}

export interface VerifyResult {
  correct: boolean;
  /** The answer taken from the response (before normalisation), or null when there was none. */
  extracted: string | null;
  /** Which rule decided, for debugging (e.g. `"exact"`, `"identity"`, `"no-answer"`, `"mismatch"`). */
  reason: string;
}

export interface VerifyItem {
  gold: string;
  response: string;
  options?: VerifyOptions;
}

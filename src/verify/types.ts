/** Public types of the answer verifier. */

export interface VerifyOptions {
  /**
   * Where the model's answer is: `"boxed"` (default) takes the last `\boxed{}`/`\fbox{}` (adjacent boxes form one
   * list); `"answer-tag"` takes the last `<answer>…</answer>` (R1-Zero prompt format), and a box inside it.
   */
  format?: "boxed" | "answer-tag";
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
   * Relative tolerance for comparing a decimal with an exact value. Default: none; a decimal matches an exact
   * value only when the value rounds to the decimal's printed digits.
   */
  relTol?: number;
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

/**
 * The report's evaluation metrics as pure functions of per-sample outcomes: pass@1 averaged over k samples,
 * unbiased pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code"), and maj@k.
 */

/** One graded sample of a problem. */
export interface Outcome {
  correct: boolean;
  /** The extracted final answer, null when the response had none (it never wins a vote). */
  answer: string | null;
}

/**
 * Unbiased pass@k for one problem with `n` samples of which `c` are correct: 1 - C(n-c, k) / C(n, k), the
 * chance that k samples drawn without replacement contain a correct one. Computed as a running product, so
 * it stays exact for n in the thousands.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || k < 1) {
    throw new RangeError(`passAtK: expected integers n >= 1, k >= 1 (got n=${n}, c=${c}, k=${k})`);
  }
  if (c < 0 || c > n) throw new RangeError(`passAtK: c=${c} is not within 0..${n}`);
  if (k > n) throw new RangeError(`passAtK: k=${k} is more than the ${n} samples`);
  if (n - c < k) return 1;
  let allWrong = 1;
  for (let i = n - c + 1; i <= n; i++) allWrong *= 1 - k / i;
  return 1 - allWrong;
}

/** pass@1 averaged over a problem's samples: the share of correct ones. */
export function meanPass1(outcomes: readonly Outcome[]): number {
  if (outcomes.length === 0) throw new RangeError("meanPass1: no samples");
  return outcomes.filter((o) => o.correct).length / outcomes.length;
}

/**
 * The answer key votes are counted on: whitespace dropped, so `x = 2` and `x=2` vote together. Equivalent but
 * differently written answers (`0.5` and `\frac12`) are separate candidates; both are graded, so a split vote
 * can still be correct.
 */
export function voteKey(answer: string): string {
  return answer.replace(/\s+/g, "");
}

/**
 * maj@k of one problem: majority vote over the extracted answers of its first k samples; a tie goes to the
 * answer seen first. 1 when the winning answer was graded correct, 0 when it was not or no sample had an answer.
 */
export function majAtK(outcomes: readonly Outcome[], k: number): number {
  if (k < 1 || k > outcomes.length) {
    throw new RangeError(`majAtK: k=${k} is not within 1..${outcomes.length} samples`);
  }
  const votes = new Map<string, { count: number; correct: boolean }>();
  for (const o of outcomes.slice(0, k)) {
    if (o.answer === null) continue;
    const key = voteKey(o.answer);
    const v = votes.get(key);
    if (v === undefined) votes.set(key, { count: 1, correct: o.correct });
    else v.count += 1;
  }
  let best: { count: number; correct: boolean } | undefined;
  for (const v of votes.values()) if (best === undefined || v.count > best.count) best = v;
  return best?.correct ? 1 : 0;
}

/** Mean over problems of a per-problem metric. */
export function meanOver<T>(problems: readonly T[], metric: (p: T) => number): number {
  if (problems.length === 0) return Number.NaN;
  return problems.reduce((a, p) => a + metric(p), 0) / problems.length;
}

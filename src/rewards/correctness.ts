import type { Verdict } from "./types.js";

/**
 * Correctness rewards of the report (§2, §4.2, §4.3), from the verdict on the final answer:
 * - `binary`: 1 correct, 0 otherwise (no `\boxed{}` = 0);
 * - `plus_minus`: +1 correct, −1 otherwise (the `R_correct` inside RRL and RRA);
 * - `still_1p5b`: +1 correct, −1 boxed but wrong, −2 no box (STILL-3-1.5B's reward server).
 */
export type CorrectnessVariant = "binary" | "plus_minus" | "still_1p5b";

const TABLE: Record<CorrectnessVariant, Record<Verdict, number>> = {
  binary: { correct: 1, wrong: 0, unanswered: 0 },
  plus_minus: { correct: 1, wrong: -1, unanswered: -1 },
  still_1p5b: { correct: 1, wrong: -1, unanswered: -2 },
};

export function correctnessReward(verdict: Verdict, variant: CorrectnessVariant = "binary"): number {
  return TABLE[variant][verdict];
}

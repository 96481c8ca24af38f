import { z } from "zod";
import { defineBuiltinReward } from "./builtin.js";
import type { Verdict } from "./types.js";

/**
 * Correctness rewards of the report (§2, §4.2, §4.3), from the verdict on the final answer:
 * - `binary`: 1 correct, 0 otherwise (no `\boxed{}` = 0);
 * - `plus_minus`: +1 correct, −1 otherwise (the `R_correct` inside RRL and RRA);
 * - `still_1p5b`: +1 correct, −1 boxed but wrong, −2 no box (STILL-3-1.5B's reward server).
 */
const TABLE = {
  binary: { correct: 1, wrong: 0, unanswered: 0 },
  plus_minus: { correct: 1, wrong: -1, unanswered: -1 },
  still_1p5b: { correct: 1, wrong: -1, unanswered: -2 },
} satisfies Record<string, Record<Verdict, number>>;

export type CorrectnessVariant = keyof typeof TABLE;

export const CORRECTNESS_VARIANTS = Object.keys(TABLE) as [CorrectnessVariant, ...CorrectnessVariant[]];

export function correctnessReward(verdict: Verdict, variant: CorrectnessVariant = "binary"): number {
  return TABLE[variant][verdict];
}

export const correctness = defineBuiltinReward({
  name: "correctness",
  params: {
    /** binary: 1/0; plus_minus: +1/−1; still_1p5b: +1 correct, −1 wrong, −2 when no \boxed{} (STILL's server). */
    variant: z.enum(CORRECTNESS_VARIANTS).default("binary"),
    /** Where the final answer is read: the last \boxed{} or the <answer> tag (R1-Zero-style prompts). */
    extract: z.enum(["boxed", "answer_tag"]).default("boxed"),
    /** last: the last box is the answer; list: it and the boxes adjacent to it (multi-answer questions). */
    boxes: z.enum(["last", "list"]).default("last"),
    /** Numeric tolerance, off by default (docs/grading.md): |a−b| ≤ max(rel_tol·max(|a|,|b|), abs_tol). */
    rel_tol: z.number().nonnegative().default(0),
    abs_tol: z.number().nonnegative().default(0),
  },
  plan: (c, ctx) => {
    ctx.readAnswer({
      format: c.extract === "answer_tag" ? "answer-tag" : "boxed",
      boxes: c.boxes,
      relTol: c.rel_tol,
      absTol: c.abs_tol,
    });
    return { variant: c.variant };
  },
  score: (p, s) => correctnessReward(s.verdict, p.variant),
});

import { z } from "zod";
import { positiveInt } from "../config/schema/common.js";
import { defineBuiltinReward } from "./builtin.js";
import { correctnessReward } from "./correctness.js";
import { RRA_KEYWORDS } from "./keywords.js";
import type { Verdict } from "./types.js";

/** The report's cap on counted reasoning actions (§4.2.1). */
export const DEFAULT_A_MAX = 20;

/**
 * Rewards on Reasoning Action (RRA, report §4.2.1): `min(A_i, A_max) / A_max + R_correct(i)`, `A_i` the number
 * of reasoning keywords in the response (see keywords.ts) and `R_correct ∈ {+1, −1}`.
 */
export function actionReward(verdict: Verdict, actions: number, aMax: number = DEFAULT_A_MAX): number {
  return Math.min(actions, aMax) / aMax + correctnessReward(verdict, "plus_minus");
}

export const reasoningAction = defineBuiltinReward({
  name: "reasoning_action",
  params: {
    /** Counted case-insensitively as whole words. */
    keywords: z
      .array(z.string().min(1))
      .min(1)
      .default([...RRA_KEYWORDS]),
    a_max: positiveInt().default(DEFAULT_A_MAX),
  },
  plan: (c, ctx) => ({ keywordSet: ctx.keywordSet(c.keywords), aMax: c.a_max }),
  score: (p, s) => {
    const actions = s.keywordCount(p.keywordSet);
    return { value: actionReward(s.verdict, actions, p.aMax), metrics: { actions } };
  },
});

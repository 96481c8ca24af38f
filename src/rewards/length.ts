import { positiveInt } from "../config/schema/common.js";
import { defineBuiltinReward } from "./builtin.js";
import { correctnessReward } from "./correctness.js";
import type { Verdict } from "./types.js";

/**
 * Rewards on Response Length (RRL, report §4.2.1): `L_i / L_max + R_correct(i)` with `R_correct ∈ {+1, −1}`,
 * `L_i` the response length in tokens and `L_max` the context window.
 */
export function lengthReward(verdict: Verdict, lengthTokens: number, maxTokens: number): number {
  return lengthTokens / maxTokens + correctnessReward(verdict, "plus_minus");
}

export const length = defineBuiltinReward({
  name: "length",
  params: {
    /** RRL's L_max in tokens; null: rollout.max_response_length (with context stages, the widest one). */
    l_max: positiveInt().nullable().default(null),
  },
  plan: (c, ctx) => ({ lMax: c.l_max ?? ctx.maxResponseLength }),
  score: (p, s) => lengthReward(s.verdict, s.lengthTokens, p.lMax),
});

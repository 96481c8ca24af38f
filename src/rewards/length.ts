import { correctnessReward } from "./correctness.js";
import type { Verdict } from "./types.js";

/**
 * Rewards on Response Length (RRL, report §4.2.1): `L_i / L_max + R_correct(i)` with `R_correct ∈ {+1, −1}`,
 * `L_i` the response length in tokens and `L_max` the context window.
 */
export function lengthReward(verdict: Verdict, lengthTokens: number, maxTokens: number): number {
  return lengthTokens / maxTokens + correctnessReward(verdict, "plus_minus");
}

import { correctnessReward } from "./correctness.js";
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

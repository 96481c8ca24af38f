import { z } from "zod";
import { positiveInt } from "../config/schema/common.js";
import { defineBuiltinReward } from "./builtin.js";
import type { Verdict } from "./types.js";

/**
 * Cosine length-scaled reward (Yeo et al. 2025, "Demystifying Long Chain-of-Thought Reasoning in LLMs", §4.2):
 * a correct answer earns more when short (`correct_short` at length 0 down to `correct_long` at L_max), a
 * wrong or missing one is punished less when long (`wrong_short` up to `wrong_long`), so the model keeps
 * thinking when it is unsure; a response cut at the length limit gets `exceed`. Defaults are the paper's.
 */
export interface CosineOptions {
  lMax: number;
  correctShort: number;
  correctLong: number;
  wrongShort: number;
  wrongLong: number;
  exceed: number;
}

/** `end + ½(start − end)(1 + cos(π·t/T))`: `start` at t = 0, `end` at t ≥ T. */
export function cosineInterpolate(t: number, T: number, start: number, end: number): number {
  return end + 0.5 * (start - end) * (1 + Math.cos((Math.PI * Math.min(t, T)) / T));
}

export function cosineReward(
  verdict: Verdict,
  lengthTokens: number,
  truncated: boolean,
  o: CosineOptions,
): number {
  if (truncated) return o.exceed;
  return verdict === "correct"
    ? cosineInterpolate(lengthTokens, o.lMax, o.correctShort, o.correctLong)
    : cosineInterpolate(lengthTokens, o.lMax, o.wrongShort, o.wrongLong);
}

export const cosineLength = defineBuiltinReward({
  name: "cosine_length",
  params: {
    /** Length (tokens) where the curves end; null: rollout.max_response_length. */
    l_max: positiveInt().nullable().default(null),
    correct_short: z.number().default(2),
    correct_long: z.number().default(1),
    wrong_short: z.number().default(-10),
    wrong_long: z.number().default(0),
    exceed: z.number().default(-10),
  },
  plan: (c, ctx) => ({
    lMax: c.l_max ?? ctx.maxResponseLength,
    correctShort: c.correct_short,
    correctLong: c.correct_long,
    wrongShort: c.wrong_short,
    wrongLong: c.wrong_long,
    exceed: c.exceed,
  }),
  score: (p, s) => cosineReward(s.verdict, s.lengthTokens, s.truncated, p),
});

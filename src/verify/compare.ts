import type { VerifyOptions } from "./types.js";

export interface Comparison {
  equal: boolean;
  reason: string;
}

const norm = (s: string) => s.replace(/\s+/g, "").replace(/\\[dt]frac/g, "\\frac");

export function compareAnswers(gold: string[], pred: string[], _options: VerifyOptions): Comparison {
  const equal = norm(gold.join(",")) === norm(pred.join(","));
  return { equal, reason: equal ? "string" : "mismatch" };
}

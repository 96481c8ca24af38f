import { z } from "zod";
import { nonNegative, positiveInt } from "./common.js";

export const rolloutSchema = z.strictObject({
  /** Responses sampled per prompt (the group size of GRPO). */
  n: positiveInt().default(8),
  temperature: nonNegative().default(1.0),
  top_p: z.number().gt(0).max(1).default(1.0),
  /** 0 or less: no top-k filtering. */
  top_k: z.number().int().default(0),
  max_prompt_length: positiveInt().default(1024),
  /** Response token budget; `context_stages` overrides it per training stage. */
  max_response_length: positiveInt().default(8192),
  /** Generation stops after any of these strings (kept in the output). */
  stop: z.array(z.string().min(1)).default([]),
});

export type RolloutConfig = z.output<typeof rolloutSchema>;

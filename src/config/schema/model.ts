import { z } from "zod";

/** `tiny:<name>`: a tiny model the HF engine builds itself (no download); anything else is a path or hub id. */
export const TINY_MODEL_PREFIX = "tiny:";

export const modelSchema = z.strictObject({
  /** Hugging Face directory or hub id, or `tiny:<name>` for a built-in tiny model (hf backend only). */
  path: z
    .string()
    .min(1)
    .refine((p) => !p.startsWith(TINY_MODEL_PREFIX) || /^tiny:[a-z0-9_-]+$/.test(p), {
      message: "expected tiny:<name> with a lowercase name (e.g. tiny:qwen2)",
    }),
  /** Tokenizer directory when it differs from the model's. */
  tokenizer: z.string().min(1).optional(),
  dtype: z.enum(["auto", "float32", "bfloat16", "float16"]).default("auto"),
  /** Jinja chat template overriding the tokenizer's (used by prompt templates that go through the chat template). */
  chat_template: z.string().min(1).optional(),
  trust_remote_code: z.boolean().default(false),
});

export type ModelConfig = z.output<typeof modelSchema>;

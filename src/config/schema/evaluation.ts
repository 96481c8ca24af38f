import { z } from "zod";
import { filePath, nonNegative, positiveInt } from "./common.js";

export const evalSamplingSchema = z.strictObject({
  /** Greedy decoding: one sample at temperature 0; n, temperature and top_p are then ignored. */
  greedy: z.boolean().default(false),
  n: positiveInt().default(1),
  temperature: nonNegative().default(0.6),
  top_p: z.number().gt(0).max(1).default(0.95),
  max_tokens: positiveInt().default(32_768),
});

/**
 * A benchmark's changes to eval.sampling. Written out without defaults: a `.partial()` of the schema above
 * would fill every unset field with its default instead of inheriting eval.sampling's value.
 */
export const evalSamplingOverrideSchema = z.strictObject({
  greedy: z.boolean().optional(),
  n: positiveInt().optional(),
  temperature: nonNegative().optional(),
  top_p: z.number().gt(0).max(1).optional(),
  max_tokens: positiveInt().optional(),
});

export const benchmarkSchema = z.strictObject({
  /** Name used in reports, e.g. aime24. */
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, "expected a name of letters, digits, _ . -"),
  file: filePath(),
  prompt_key: z.string().min(1).optional(),
  answer_key: z.string().min(1).optional(),
  /** Overrides eval.sampling for this benchmark (e.g. greedy for Omni-MATH). */
  sampling: evalSamplingOverrideSchema.optional(),
  /**
   * With tools.enabled, run the model's code blocks in the sandbox. false: the same model without tool
   * execution (it must write the output itself), for the with/without comparison of the report's Table 7.
   */
  tools: z.boolean().default(true),
});

export const evalSchema = z
  .strictObject({
    benchmarks: z.array(benchmarkSchema).default([]),
    sampling: evalSamplingSchema.default(() => evalSamplingSchema.parse({})),
    /** pass@k values to report; each must be at most the number of samples. */
    k: z.array(positiveInt()).min(1).default([1]),
    /** Evaluate every N training steps (null: only at the end). */
    every_steps: positiveInt().nullable().default(null),
    before_train: z.boolean().default(false),
  })
  .superRefine((e, ctx) => {
    const names = new Set<string>();
    e.benchmarks.forEach((b, i) => {
      if (names.has(b.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["benchmarks", i, "name"],
          message: `duplicate benchmark "${b.name}"`,
        });
      }
      names.add(b.name);
    });
    const samples = e.sampling.greedy ? 1 : e.sampling.n;
    e.k.forEach((k, i) => {
      if (k > samples) {
        ctx.addIssue({
          code: "custom",
          path: ["k", i],
          message: `expected at most eval.sampling.n (${samples}), got ${k}`,
        });
      }
    });
  });

export type EvalSampling = z.output<typeof evalSamplingSchema>;
export type BenchmarkConfig = z.output<typeof benchmarkSchema>;
export type EvalConfig = z.output<typeof evalSchema>;

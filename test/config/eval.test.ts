import { describe, expect, it } from "vitest";
import { runConfigSchema } from "../../src/config/index.js";

describe("eval.benchmarks[].sampling", () => {
  it("holds only what the benchmark changes, so the rest is inherited from eval.sampling", () => {
    const config = runConfigSchema.parse({
      model: { path: "tiny:qwen2" },
      eval: {
        sampling: { max_tokens: 64, n: 4 },
        benchmarks: [{ name: "omni", file: "omni.jsonl", sampling: { greedy: true } }],
      },
    });
    expect(config.eval.benchmarks[0]?.sampling).toEqual({ greedy: true });
    expect({ ...config.eval.sampling, ...config.eval.benchmarks[0]?.sampling }).toMatchObject({
      greedy: true,
      n: 4,
      max_tokens: 64,
    });
  });
});

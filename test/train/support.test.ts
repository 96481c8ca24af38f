import { describe, expect, it } from "vitest";
import { runConfigSchema } from "../../src/config/index.js";
import { unsupportedKnobs } from "../../src/train/support.js";

const base = { model: { path: "tiny:qwen2" } };

describe("unsupportedKnobs", () => {
  it("accepts the demo's kind of run", () => {
    expect(unsupportedKnobs(runConfigSchema.parse(base))).toEqual([]);
  });
  it("accepts what it passes to the engine", () => {
    const hf = { backend: { hf: { gradient_checkpointing: true } } };
    expect(unsupportedKnobs(runConfigSchema.parse({ ...base, ...hf }))).toEqual([]);
  });
  it("accepts experiment trackers", () => {
    const logging = { logging: { loggers: ["console", "jsonl", "tensorboard", "wandb"] } };
    expect(unsupportedKnobs(runConfigSchema.parse({ ...base, ...logging }))).toEqual([]);
  });
  it("accepts tool-integrated runs", () => {
    const tools = { tools: { enabled: true, stateful: true, dialect: "qwen" } };
    expect(unsupportedKnobs(runConfigSchema.parse({ ...base, ...tools }))).toEqual([]);
  });
  it.each([
    [{ algorithm: { advantage_estimator: "gae" } }, "algorithm.advantage_estimator"],
    [{ algorithm: { kl: { mode: "fixed", coef: 0.001, placement: "reward" } } }, "algorithm.kl.placement"],
    [{ sft: { train_files: ["x.jsonl"], mask_tool_outputs: true } }, "sft.mask_tool_outputs"],
    [{ model: { path: "tiny:qwen2", chat_template: "{{ x }}" } }, "model.chat_template"],
    [{ sft: { train_files: ["x.jsonl"], eval_fraction: 0.1 } }, "sft.eval_fraction"],
  ])("names %o", (extra, path) => {
    const out = unsupportedKnobs(runConfigSchema.parse({ ...base, ...extra }));
    expect(out).toHaveLength(1);
    expect(out[0]).toContain(path);
  });
});

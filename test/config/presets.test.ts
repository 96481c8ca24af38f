import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, type RunConfig } from "../../src/config/index.js";
import { packageRoot } from "../../src/util/paths.js";

const configsDir = path.join(packageRoot, "configs");
const presets = (readdirSync(configsDir, { recursive: true }) as string[])
  .filter((f) => f.endsWith(".yaml"))
  .sort();

const load = (rel: string): RunConfig => loadConfig(path.join(configsDir, rel), { env: {} }).config;

describe("every file in configs/ validates", () => {
  it("finds the presets", () => {
    expect(presets.length).toBeGreaterThanOrEqual(40);
  });

  it.each(presets)("%s", (rel) => {
    expect(() => load(rel)).not.toThrow();
  });

  it("gives every run preset its own name", () => {
    const runs = presets.filter((p) => !p.startsWith("base/"));
    const names = runs.map((p) => load(p).name);
    expect(new Set(names).size).toBe(runs.length);
  });
});

describe("presets carry the report's settings", () => {
  it("Table 1 ablations change one factor of the base", () => {
    const base = load("base/table1.yaml");
    expect(base.model.path).toBe("Qwen/Qwen2.5-7B");
    expect(base.algorithm).toMatchObject({
      lr: 1e-6,
      train_batch_size: 128,
      mini_batch_size: 128,
      epochs: 1,
    });
    expect(base.rollout).toMatchObject({ n: 8, temperature: 1 });
    expect(base.algorithm.kl.mode).toBe("none");
    expect(load("still3/table1/batch-1024.yaml").algorithm.train_batch_size).toBe(1024);
    expect(load("still3/table1/off-policy.yaml").algorithm.mini_batch_size).toBeLessThan(128);
    expect(load("still3/table1/n-64.yaml").rollout.n).toBe(64);
    for (const t of [0.6, 1.0, 1.2]) {
      expect(load(`still3/table1/temperature-${t.toFixed(1)}.yaml`).rollout.temperature).toBe(t);
    }
    expect(load("still3/table1/kl-fixed.yaml").algorithm.kl).toMatchObject({ mode: "fixed", coef: 1e-3 });
    expect(load("still3/table1/kl-cosine.yaml").algorithm.kl).toMatchObject({
      mode: "cosine",
      from: 1e-3,
      to: 0,
    });
    expect(load("still3/table1/backbone-qwen2.5-32b.yaml").model.path).toBe("Qwen/Qwen2.5-32B");
  });

  it("prompt ablation pairs differ only in the prompt", () => {
    for (const size of ["1.5b", "7b"]) {
      const short = load(`still3/prompt/qwen2.5-${size}-short.yaml`);
      const long = load(`still3/prompt/qwen2.5-${size}-long.yaml`);
      expect(short.prompt.template).toBe("r1_zero_short");
      expect(long.prompt.template).toBe("still_long");
      expect({ ...long, name: "", prompt: short.prompt }).toEqual({ ...short, name: "" });
    }
  });

  it("STILL-3-Zero-32B grows its context 8k -> 12k -> 20k with lr 5e-7, n 16, KL off", () => {
    const c = load("still3/zero-32b.yaml");
    expect(c.context_stages.map((s) => s.max_response_length)).toEqual([8192, 12288, 20480]);
    expect(c.algorithm).toMatchObject({ lr: 5e-7, train_batch_size: 128, mini_batch_size: 128 });
    expect(c.algorithm.kl.mode).toBe("none");
    expect(c.rollout.n).toBe(16);
  });

  it("STILL-3-1.5B runs on OpenRLHF with 512 samples per optimizer step and a reference reset", () => {
    const c = load("still3/still3-1.5b.yaml");
    expect(c.backend.type).toBe("openrlhf");
    expect(c.algorithm.mini_batch_size * c.rollout.n).toBe(512);
    expect(c.algorithm.train_batch_size * c.rollout.n).toBe(1024);
    expect(c.algorithm).toMatchObject({ lr: 2e-6, kl: { mode: "fixed", coef: 1e-3 } });
    expect(c.algorithm.reference_reset_every).not.toBeNull();
    expect(c.rollout.max_response_length).toBe(29000);
    expect(c.prompt.template).toBe("deepseek_chat");
    expect(c.rewards.components).toEqual([
      {
        name: "correctness",
        weight: 1,
        variant: "still_1p5b",
        extract: "boxed",
        boxes: "last",
        rel_tol: 0,
        abs_tol: 0,
      },
    ]);
  });

  it("STILL-3-Tool-32B SFT: lr 1e-5, batch 96, 17 epochs, tool outputs not masked", () => {
    for (const p of presets.filter((f) => f.startsWith("still3/tool-32b-sft/"))) {
      const c = load(p);
      expect(c.sft).toMatchObject({ lr: 1e-5, batch_size: 96, epochs: 17, mask_tool_outputs: false });
      expect(c.tools.enabled).toBe(true);
    }
  });

  it("length-hacking variants each switch on one strategy", () => {
    expect(load("still3/length-hacking/qs.yaml").rewards.group_strategies).toEqual(["qs"]);
    expect(load("still3/length-hacking/rs.yaml").rewards.group_strategies).toEqual(["rs"]);
    expect(load("still3/length-hacking/orm.yaml").rewards.group_strategies).toEqual(["orm"]);
    expect(load("still3/length-hacking/rrl.yaml").rewards.components.map((c) => c.name)).toEqual([
      "correctness",
      "length",
    ]);
    expect(load("still3/length-hacking/rra.yaml").rewards.components[1]).toMatchObject({
      name: "reasoning_action",
      a_max: 20,
    });
    expect(load("still3/length-hacking/qs.yaml").sft).toBeUndefined();
  });

  it("cold start runs SFT before RL", () => {
    expect(load("still3/cold-start/synthesis-5k.yaml").sft?.train_files[0]).toContain("synthesis-5k");
    expect(load("still3/cold-start/distill-50k.yaml").sft?.train_files[0]).toContain("distill-50k");
  });
});

import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkOpenrlhf } from "../../src/backends/openrlhf/check.js";
import { compileOpenrlhf, type OpenrlhfTargets } from "../../src/backends/openrlhf/compile.js";
import { loadConfig, type RunConfig, runConfigSchema } from "../../src/config/index.js";
import { packageRoot } from "../../src/util/paths.js";

const configsDir = path.join(packageRoot, "configs");
const load = (rel: string): RunConfig =>
  loadConfig(path.join(configsDir, rel), { env: { RAY_ADDRESS: "http://127.0.0.1:8265" } }).config;
const targets: OpenrlhfTargets = {
  model: "/models/policy",
  trainData: "/run/data/train.jsonl",
  rewardUrl: "http://127.0.0.1:5000/get_reward",
  ckptDir: "/run/ckpt",
};

/** Every OpenRLHF preset in configs/ (a run whose backend.type is openrlhf). */
const presets = (readdirSync(configsDir, { recursive: true }) as string[])
  .filter((f) => f.endsWith(".yaml") && !f.startsWith("base/"))
  .filter((f) => load(f).backend.type === "openrlhf")
  .sort();

/** The value following a flag (or true for a bare switch), undefined when absent. */
function flag(argv: string[], name: string): string | true | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const next = argv[i + 1];
  return next === undefined || next.startsWith("--") ? true : next;
}

/** Every leaf path of a value: objects recurse, arrays and primitives are leaves. */
function leaves(value: unknown, prefix = ""): string[] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

const covered = (path: string, claimed: Set<string>) =>
  [...claimed].some((c) => path === c || path.startsWith(`${c}.`));

describe("OpenRLHF compile", () => {
  it("finds the OpenRLHF presets", () => {
    expect(presets).toContain("still3/still3-1.5b.yaml");
  });

  it("compiles STILL-3-1.5B to the report's settings", () => {
    const c = compileOpenrlhf(load("still3/still3-1.5b.yaml"), targets);
    expect(c.issues).toEqual([]);
    const want: Record<string, string | true | undefined> = {
      "--rollout.batch_size": "128",
      "--rollout.n_samples_per_prompt": "8",
      "--train.batch_size": "512",
      "--actor.adam.lr": String(2e-6),
      "--actor.lr_warmup_ratio": "0",
      "--algo.kl.init_coef": String(1e-3),
      "--algo.kl.estimator": "k1",
      "--algo.kl.use_loss": undefined,
      "--algo.advantage.estimator": "group_norm",
      "--rollout.max_new_tokens": "29000",
      "--data.max_len": String(1024 + 29000),
      "--rollout.temperature": "1",
      "--reward.remote_url": targets.rewardUrl,
      "--data.apply_chat_template": undefined,
      "--ckpt.save_hf": true,
    };
    for (const [name, value] of Object.entries(want)) expect(flag(c.argv, name), name).toBe(value);
    // The DeepSeek chat template is rendered by still-rl into the prompt column; the label column is the answer.
    expect(c.ts["prompt.template"]).toMatch(/rendered/);
    expect(flag(c.argv, "--data.input_key")).toBe("prompt");
    expect(c.ts["algorithm.reference_reset_every"]).toMatch(/relaunch/);
  });

  it("emits only full 0.11 flag names, never a secret", () => {
    const c = compileOpenrlhf(load("still3/still3-1.5b.yaml"), targets);
    const names = c.argv.filter((a) => a.startsWith("--"));
    for (const n of names) expect(n, n).toMatch(/^--[a-z]+\.[a-z_.]+$/);
    expect(names).not.toContain("--remote_rm_url");
    expect(flag(c.argv, "--logger.wandb.key")).toBe("env:WANDB_API_KEY");
  });

  it.each([
    ["grpo with std", { algorithm: { advantage_estimator: "grpo" } }, "group_norm"],
    [
      "grpo without std (Dr. GRPO)",
      { algorithm: { advantage_estimator: "grpo", norm_adv_by_std: false } },
      "dr_grpo",
    ],
    ["rloo", { algorithm: { advantage_estimator: "rloo", norm_adv_by_std: false } }, "rloo"],
    ["reinforce++", { algorithm: { advantage_estimator: "reinforce++" } }, "reinforce"],
  ])("maps the estimator: %s", (_, extra, want) => {
    const config = runConfigSchema.parse({ model: { path: "m" }, backend: { type: "openrlhf" }, ...extra });
    expect(flag(compileOpenrlhf(config, targets).argv, "--algo.advantage.estimator")).toBe(want);
  });

  it.each([
    ["KL in the loss", { mode: "fixed", coef: 0.01, estimator: "k3", placement: "loss" }, true, "k3"],
    [
      "KL in the reward",
      { mode: "fixed", coef: 0.01, estimator: "k2", placement: "reward" },
      undefined,
      "k2",
    ],
  ])("places the KL term exactly: %s", (_, kl, useLoss, estimator) => {
    const config = runConfigSchema.parse({ model: { path: "m" }, algorithm: { kl } });
    const argv = compileOpenrlhf(config, targets).argv;
    expect(flag(argv, "--algo.kl.use_loss")).toBe(useLoss);
    expect(flag(argv, "--algo.kl.estimator")).toBe(estimator);
    expect(flag(argv, "--algo.kl.init_coef")).toBe("0.01");
  });

  it.each([
    [{ algorithm: { kl: { mode: "cosine", from: 0.001, steps: 100 } } }, "algorithm.kl.mode"],
    [
      { algorithm: { kl: { mode: "fixed", coef: 0.001, estimator: "low_var_kl" } } },
      "algorithm.kl.estimator",
    ],
    [{ algorithm: { loss_aggregation: "seq-mean-token-sum" } }, "algorithm.loss_aggregation"],
    [{ rollout: { top_k: 20 } }, "rollout.top_k"],
    [{ rollout: { stop: ["</answer>"] } }, "rollout.stop"],
    [{ model: { path: "m", dtype: "float32" } }, "model.dtype"],
    [{ data: { shuffle: false } }, "data.shuffle"],
    [{ algorithm: { lr_schedule: { warmup_steps: 10 } } }, "algorithm.lr_schedule.warmup_steps"],
    [{ sft: { train_files: ["x.jsonl"] } }, "sft"],
  ])("refuses what OpenRLHF cannot honour: %j", (extra, path) => {
    const config = runConfigSchema.parse({ model: { path: "m" }, ...extra });
    expect(compileOpenrlhf(config, targets).issues.map((i) => i.path)).toEqual([path]);
  });

  it("claims every field of the run config: a flag, the TS side, or an error", () => {
    // A config that sets every optional block, so each leaf of the schema is present.
    const config = runConfigSchema.parse({
      description: "d",
      run_dir: "runs/x",
      python: "/usr/bin/python3",
      model: { path: "m", tokenizer: "t", chat_template: "{{ x }}" },
      data: { train_files: ["a.jsonl"], eval_files: ["b.jsonl"], max_samples: 10 },
      prompt: { template: "custom", text: "Q: {question}" },
      algorithm: {
        kl: { mode: "cosine", from: 0.001, steps: 10 },
        reference_reset_every: 5,
        total_steps: 20,
        mini_batch_size: 64,
      },
      context_stages: [{ max_response_length: 4096, until_step: 10 }, { max_response_length: 8192 }],
      tools: { enabled: true },
      sft: { train_files: ["s.jsonl"] },
      eval: { benchmarks: [{ name: "b", file: "b.jsonl" }] },
      backend: { type: "openrlhf" },
      cluster: { type: "ray", address: "http://h:8265", runtime_env: { env_vars: {} } },
      logging: { loggers: ["wandb", "tensorboard"], experiment: "e" },
      checkpoint: { resume_from: "ckpt" },
      rewards: { components: [{ name: "correctness" }] },
    });
    const c = compileOpenrlhf(config, targets);
    const missing = leaves(config).filter((p) => !covered(p, c.claimed));
    expect(missing).toEqual([]);
  });
});

describe("OpenRLHF's own parser and checks (.venv-openrlhf, from npm run setup:openrlhf)", () => {
  it.each(presets)("%s passes", async (rel) => {
    const command = compileOpenrlhf(load(rel), targets);
    const r = await checkOpenrlhf(command);
    expect(r.issues).toEqual([]);
    // OpenRLHF resolved what we meant, not an abbreviation or a default.
    const args = r.args as { rollout: { n_samples_per_prompt: number }; algo: { kl: { init_coef: number } } };
    expect(args.rollout.n_samples_per_prompt).toBe(8);
    expect(args.algo.kl.init_coef).toBe(1e-3);
  });

  it.each([
    [
      "group normalisation with one sample per prompt",
      { rollout: { n: 1 } },
      ["algorithm.advantage_estimator", "rollout.n"],
      /requires n_samples_per_prompt > 1/,
    ],
    [
      "an invalid estimator in extra_args",
      { backend: { type: "openrlhf", openrlhf: { extra_args: ["--algo.advantage.estimator", "grpo"] } } },
      ["backend.openrlhf.extra_args"],
      /invalid choice: 'grpo'/,
    ],
    [
      "a pre-0.10 flag in extra_args",
      { backend: { type: "openrlhf", openrlhf: { extra_args: ["--remote_rm_url", "http://x"] } } },
      ["backend.openrlhf.extra_args"],
      /unrecognized arguments/,
    ],
    [
      "an abbreviated flag in extra_args",
      { backend: { type: "openrlhf", openrlhf: { extra_args: ["--algo.kl.init", "0.05"] } } },
      ["backend.openrlhf.extra_args"],
      /unrecognized arguments/,
    ],
  ])("names the YAML path of %s", async (_, extra, paths, message) => {
    const config = runConfigSchema.parse({ model: { path: "m" }, backend: { type: "openrlhf" }, ...extra });
    const r = await checkOpenrlhf(compileOpenrlhf(config, targets));
    expect(r.issues).toHaveLength(1);
    for (const p of paths) expect(r.issues[0]!.path).toContain(p);
    expect(r.issues[0]!.message).toMatch(message);
  });
});

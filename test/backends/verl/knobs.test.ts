import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { checkIssues, pathsForError } from "../../../src/backends/verl/check.js";
import { compileVerl, hydraValue, verlRefusals } from "../../../src/backends/verl/compile.js";
import { knobFor, VERL_KNOBS } from "../../../src/backends/verl/knobs.js";
import { metricsLine } from "../../../src/backends/verl/metrics.js";
import { loadConfig, type RunConfig, runConfigSchema } from "../../../src/config/index.js";

// biome-ignore lint/suspicious/noExplicitAny: zod's internal definitions are untyped across schema kinds
const def = (s: z.ZodType): any => (s as unknown as { _zod: { def: unknown } })._zod.def;
const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"]);

/** Every leaf of the run-config schema as a table path (`rewards.components[].weight`). */
function leaves(schema: z.ZodType, at: string): string[] {
  let s = schema;
  for (;;) {
    const d = def(s);
    if (WRAPPERS.has(d.type)) s = d.innerType;
    else if (d.type === "pipe") s = d.in;
    else break;
  }
  const d = def(s);
  const join = (k: string) => (at === "" ? k : `${at}.${k}`);
  if (d.type === "object")
    return Object.entries(d.shape).flatMap(([k, v]) => leaves(v as z.ZodType, join(k)));
  if (d.type === "union") return [...new Set((d.options as z.ZodType[]).flatMap((o) => leaves(o, at)))];
  if (d.type === "array") {
    const inner = leaves(d.element, `${at}[]`);
    // An array of plain values is one knob (rollout.stop), an array of objects one per field.
    return inner.length === 1 && inner[0] === `${at}[]` ? [at] : inner;
  }
  return [at];
}

const ALL_LEAVES = leaves(runConfigSchema, "");
const PRESETS = (readdirSync("configs", { recursive: true }) as string[])
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => path.join("configs", f))
  .sort()
  .map((file) => ({ file, config: loadConfig(file).config }))
  .filter((p) => p.config.backend.type === "verl");

/** A config that sets what the presets leave out, so every conditional veRL key is emitted once. */
function fullConfig(): RunConfig {
  const { config } = loadConfig("configs/still3/table1/kl-fixed.yaml", {
    set: [
      "model.tokenizer=/models/tok",
      "tools.enabled=true",
      "data.eval_files=[/data/held-out.jsonl]",
      "logging.experiment=exp",
      "checkpoint.resume_from=/ckpt/global_step_10",
      "backend.verl.overrides=[trainer.balance_batch=false]",
    ],
  });
  return config;
}

describe("veRL knob table", () => {
  it("routes every leaf of the run-config schema, and only those", () => {
    const missing = ALL_LEAVES.filter((p) => VERL_KNOBS[p] === undefined);
    expect(missing).toEqual([]);
    const stale = Object.keys(VERL_KNOBS).filter((p) => !ALL_LEAVES.includes(p));
    expect(stale).toEqual([]);
    expect(ALL_LEAVES.length).toBeGreaterThan(100);
  });

  it("every verl row is emitted by the compiler, and every emitted path is a verl row", () => {
    const configs = [...PRESETS.map((p) => p.config), fullConfig()].filter(
      (c) => verlRefusals(c).length === 0,
    );
    const emitted = new Set<string>();
    for (const c of configs) {
      for (const a of compileVerl(c, "runs/t").args)
        for (const f of a.from) emitted.add(f.replace(/\[\d+\]/g, "[]"));
    }
    const verlRows = Object.entries(VERL_KNOBS)
      .filter(([, r]) => r.to === "verl")
      .map(([p]) => p);
    const arrayFiles = new Set(["data.train_files[]", "data.eval_files[]"]);
    const covered = (p: string) =>
      emitted.has(p) ||
      emitted.has(`${p}[]`) ||
      (p === "data.train_files" && arrayFiles.has("data.train_files[]"));
    expect(verlRows.filter((p) => !covered(p))).toEqual([]);
    const notVerl = [...emitted].filter((p) => {
      const route = knobFor(p.replace(/\[\]$/, "")) ?? knobFor(p);
      return route === undefined
        ? ![
            "run_dir",
            "context_stages",
            "algorithm.reference_reset_every",
            "eval.benchmarks[].file",
          ].includes(p)
        : !["verl", "launcher", "relaunch"].includes(route.to);
    });
    expect(notVerl).toEqual([]);
  });

  it("never emits a legacy reward key or a + key", () => {
    for (const { config } of PRESETS) {
      if (verlRefusals(config).length > 0) continue;
      for (const a of compileVerl(config, "runs/t").args) {
        expect(a.key).not.toMatch(/^\+|^custom_reward_function\.|^reward_model\./);
      }
    }
  });
});

describe("veRL refusals", () => {
  const cases: [string, string[], string][] = [
    ["stop strings", ["rollout.stop=[</answer>]"], "rollout.stop"],
    ["a chat template", ["model.chat_template={{ x }}"], "model.chat_template"],
    ["PPO with a critic", ["algorithm.advantage_estimator=gae"], "algorithm.advantage_estimator"],
    ["KL in the reward", ["algorithm.kl.placement=reward"], "algorithm.kl.placement"],
    [
      "a legacy reward key",
      ["backend.verl.overrides=[custom_reward_function.path=/x.py]"],
      "backend.verl.overrides[0]",
    ],
    ["no periodic checkpoint", ["checkpoint.every_steps=null"], "checkpoint.every_steps"],
  ];
  it.each(cases)("refuses %s, naming its YAML path", (_what, set, expected) => {
    const { config } = loadConfig("configs/still3/table1/kl-fixed.yaml", { set });
    expect(verlRefusals(config).map((r) => r.path)).toContain(expected);
  });

  it("refuses the SFT presets (veRL's SFT trainer is not wired) and no RL preset", () => {
    const refused = PRESETS.filter((p) => verlRefusals(p.config).length > 0).map((p) => p.file);
    for (const f of refused) expect(f).toMatch(/cold-start|tool-sft|tool-32b-sft/);
    expect(PRESETS.length - refused.length).toBeGreaterThanOrEqual(30);
  });
});

describe("compile values", () => {
  it("writes Hydra values that parse back as the same value", () => {
    expect(hydraValue(1e-6)).toBe("0.000001");
    expect(hydraValue(5e-7)).toBe("5e-7");
    expect(hydraValue(true)).toBe("true");
    expect(hydraValue(null)).toBe("null");
    expect(hydraValue(["console", "wandb"])).toBe("[console,wandb]");
    expect(hydraValue("Qwen/Qwen2.5-7B")).toBe("Qwen/Qwen2.5-7B");
    expect(hydraValue("true")).toBe("'true'");
    expect(hydraValue("{{ a }}")).toBe("'{{ a }}'");
    expect(hydraValue("it's")).toBe("'it\\'s'");
  });

  it("compiles the cosine KL, context stages and resume the way the knob table says", () => {
    const { config } = loadConfig("configs/still3/zero-32b.yaml");
    const launch = compileVerl(config, "runs/z", { stage: 1, resumeFrom: "/r/global_step_200" });
    const get = (k: string) => launch.args.find((a) => a.key === k)?.value;
    expect(get("data.max_response_length")).toBe("12288");
    expect(get("trainer.resume_mode")).toBe("resume_path");
    expect(get("trainer.resume_from_path")).toBe("/r/global_step_200");
    expect(get("trainer.nnodes")).toBe("4");
    expect(get("actor_rollout_ref.actor.use_kl_loss")).toBe("false");
    const cosine = compileVerl(loadConfig("configs/still3/table1/kl-cosine.yaml").config, "runs/c");
    expect(cosine.args.find((a) => a.key === "actor_rollout_ref.actor.kl_loss_coef")?.value).toBe("0.001");
    expect(cosine.notes.join("\n")).toMatch(/cosine 0.001 → 0 over 500 steps/);
  });
});

describe("veRL errors → YAML paths", () => {
  const { config } = loadConfig("configs/still3/table1/kl-fixed.yaml");
  const launch = compileVerl(config, "runs/t");
  it("finds the override a message names, by full key or its last segments", () => {
    expect(pathsForError("Could not override 'actor_rollout_ref.actor.kl_loss_coef'", launch)).toEqual([
      "algorithm.kl.coef",
    ]);
    expect(
      pathsForError(
        "[actor_rollout_ref.actor] ppo_mini_batch_size (128) must be <= train_batch_size",
        launch,
      ),
    ).toEqual(expect.arrayContaining(["algorithm.mini_batch_size", "algorithm.train_batch_size"]));
    expect(pathsForError("something unrelated happened", launch)).toEqual([]);
  });
  it("keeps plugin errors without a path", () => {
    expect(checkIssues([{ stage: "plugin", message: "not installed" }], launch)).toEqual([
      { path: "", message: "veRL plugin: not installed" },
    ]);
  });
});

describe("veRL metrics", () => {
  it("maps veRL's step metrics to the HF run's names and keeps veRL's", () => {
    const line = metricsLine(3, {
      "critic/score/mean": 0.5,
      "response_length/mean": 120,
      "response_length/clip_ratio": 0.25,
      "actor/entropy": 1.5,
      "actor/grad_norm": 0.7,
      "actor/lr": 1e-6,
      "timing_s/step": 12,
    });
    expect(line).toMatchObject({
      step: 3,
      "train/reward_mean": 0.5,
      "train/response_length_mean": 120,
      "train/completion_ratio": 0.75,
      "train/entropy": 1.5,
      "train/grad_norm": 0.7,
      "train/lr": 1e-6,
      "time/step_s": 12,
      "critic/score/mean": 0.5,
    });
    expect(line["train/kl"]).toBeUndefined();
  });
});

describe("docs/verl-backend.md", () => {
  it("lists every row of the knob table", () => {
    const doc = readFileSync("docs/verl-backend.md", "utf8");
    expect(
      Object.keys(VERL_KNOBS).filter((p) => !doc.includes(`| \`${p}\` | ${VERL_KNOBS[p]?.to} |`)),
    ).toEqual([]);
  });
});

// biome-ignore-all lint/suspicious/noTemplateCurlyInString: YAML text with ${ENV} references
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, printConfig, runConfigSchema } from "../../src/config/index.js";
import { closestKey } from "../../src/config/issues.js";
import { writeFiles } from "./helpers.js";

const MODEL = "model:\n  path: Qwen/Qwen2.5-7B\n";

describe("defaults", () => {
  it("a YAML with only a model is a complete run config", () => {
    const config = runConfigSchema.parse({ model: { path: "tiny:qwen2" } });
    expect(config.backend.type).toBe("hf");
    expect(config.backend.hf.device).toBe("auto");
    expect(config.algorithm.kl).toEqual({ mode: "none", estimator: "low_var_kl", placement: "loss" });
    expect(config.rewards.components).toEqual([
      {
        name: "correctness",
        weight: 1,
        variant: "binary",
        extract: "boxed",
        boxes: "last",
        rel_tol: 0,
        abs_tol: 0,
      },
    ]);
  });

  it("mini_batch_size defaults to train_batch_size (on-policy)", () => {
    const config = runConfigSchema.parse({ model: { path: "m" }, algorithm: { train_batch_size: 64 } });
    expect(config.algorithm.mini_batch_size).toBe(64);
  });
});

describe("extends", () => {
  it("merges parents in list order, then the file itself; lists are replaced, mappings merged", () => {
    const dir = writeFiles({
      "a.yaml": `${MODEL}rollout:\n  n: 4\n  temperature: 0.6\n  stop: [x, y]\nseed: 1\n`,
      "sub/b.yaml": "rollout:\n  n: 16\n  stop: [z]\nseed: 2\n",
      "x.yaml": "extends: [a.yaml, sub/b.yaml]\nseed: 3\nrollout:\n  top_p: 0.9\n",
    });
    const { config, sources } = loadConfig(path.join(dir, "x.yaml"), { env: {} });
    expect(config.seed).toBe(3);
    expect(config.rollout).toMatchObject({ n: 16, temperature: 0.6, top_p: 0.9, stop: ["z"] });
    expect(sources.get("rollout.n")).toEqual({ kind: "file", file: path.join(dir, "sub/b.yaml"), line: 2 });
    expect(sources.get("rollout.temperature")).toEqual({
      kind: "file",
      file: path.join(dir, "a.yaml"),
      line: 5,
    });
    expect(sources.get("rollout.stop[0]")).toEqual({
      kind: "file",
      file: path.join(dir, "sub/b.yaml"),
      line: 3,
    });
    expect(sources.has("rollout.stop[1]")).toBe(false);
  });

  it("resolves a parent's own extends relative to the parent", () => {
    const dir = writeFiles({
      "presets/base/root.yaml": `${MODEL}rollout:\n  n: 2\n`,
      "presets/mid.yaml": "extends: base/root.yaml\nrollout:\n  temperature: 1.2\n",
      "runs/x.yaml": "extends: ../presets/mid.yaml\n",
    });
    const { config } = loadConfig(path.join(dir, "runs/x.yaml"), { env: {} });
    expect(config.rollout).toMatchObject({ n: 2, temperature: 1.2 });
  });

  it("a later null drops an inherited value, but stays null where null means something", () => {
    const dir = writeFiles({
      "a.yaml": `${MODEL}algorithm:\n  kl:\n    mode: fixed\n    coef: 0.001\ncheckpoint:\n  every_steps: 10\n`,
      "x.yaml":
        "extends: a.yaml\nalgorithm:\n  kl:\n    mode: none\n    coef: null\ncheckpoint:\n  every_steps: null\n",
    });
    const { config } = loadConfig(path.join(dir, "x.yaml"), { env: {} });
    expect(config.algorithm.kl.mode).toBe("none");
    expect(config.algorithm.kl).not.toHaveProperty("coef");
    expect(config.checkpoint.every_steps).toBeNull();
  });
});

describe("${ENV} interpolation", () => {
  it.each([
    ["name: ${RUN}", { RUN: "abc" }, "name", "abc"],
    ["name: ${RUN:-dflt}", {}, "name", "dflt"],
    ["name: ${RUN:-dflt}", { RUN: "" }, "name", "dflt"],
    ["name: pre-${RUN}-post", { RUN: "x" }, "name", "pre-x-post"],
    ["seed: ${SEED}", { SEED: "7" }, "seed", 7],
    ['name: "${SEED}"', { SEED: "7" }, "name", "7"],
    ["description: cost $${HOME}", {}, "description", "cost ${HOME}"],
  ])("%s with %j", (line, env, key, expected) => {
    const dir = writeFiles({ "x.yaml": `${MODEL}${line}\n` });
    const { config } = loadConfig(path.join(dir, "x.yaml"), { env });
    expect((config as Record<string, unknown>)[key]).toEqual(expected);
  });

  it("interpolates inside lists and in extends paths", () => {
    const dir = writeFiles({
      "presets/a.yaml": MODEL,
      "x.yaml": 'extends: ${P}/a.yaml\ndata:\n  train_files: ["${D}/t.jsonl"]\n',
    });
    const { config } = loadConfig(path.join(dir, "x.yaml"), { env: { P: "presets", D: "/data" } });
    expect(config.data.train_files).toEqual(["/data/t.jsonl"]);
  });
});

describe("--set", () => {
  const dir = writeFiles({
    "x.yaml": `${MODEL}rewards:\n  components:\n    - name: correctness\n    - name: length\n`,
  });
  const file = path.join(dir, "x.yaml");

  it.each<[string, (c: ReturnType<typeof loadConfig>["config"]) => unknown, unknown]>([
    ["rollout.n=8", (c) => c.rollout.n, 8],
    ["rollout.temperature=1.2", (c) => c.rollout.temperature, 1.2],
    ["rollout.stop=[a,b]", (c) => c.rollout.stop, ["a", "b"]],
    ["rollout.stop=[]", (c) => c.rollout.stop, []],
    ["name=001", (c) => c.name, "001"],
    ["model.path=12345", (c) => c.model.path, "12345"],
    ["model.tokenizer=null", (c) => c.model.tokenizer, undefined],
    ["description=a: {b}", (c) => c.description, "a: {b}"],
    ["data.shuffle=false", (c) => c.data.shuffle, false],
    [
      "algorithm.kl={mode: fixed, coef: 0.01}",
      (c) => (c.algorithm.kl.mode === "fixed" ? c.algorithm.kl.coef : undefined),
      0.01,
    ],
    ["rewards.components[1].weight=0.5", (c) => c.rewards.components[1]?.weight, 0.5],
    [
      "rewards.components.0.variant=plus_minus",
      (c) => c.rewards.components[0],
      {
        name: "correctness",
        weight: 1,
        variant: "plus_minus",
        extract: "boxed",
        boxes: "last",
        rel_tol: 0,
        abs_tol: 0,
      },
    ],
    ["algorithm.reference_reset_every=null", (c) => c.algorithm.reference_reset_every, null],
  ])("%s", (expr, get, expected) => {
    const { config, sources } = loadConfig(file, { set: [expr], env: {} });
    expect(get(config)).toEqual(expected);
    expect([...sources.values()].some((s) => s.kind === "set" && s.expr === expr)).toBe(true);
  });

  it("applies overrides in order and checks the result as a whole", () => {
    const { config } = loadConfig(file, {
      set: ["algorithm.kl.mode=cosine", "algorithm.kl.from=0.001", "algorithm.kl.steps=500"],
      env: {},
    });
    expect(config.algorithm.kl).toMatchObject({ mode: "cosine", from: 0.001, to: 0, steps: 500 });
  });
});

describe("printConfig", () => {
  it("prints YAML that loads back to the same config", () => {
    const dir = writeFiles({
      "x.yaml": `${MODEL}prompt:\n  template: custom\n  text: "Q: {question}\\nA: <think>"\ncontext_stages:\n  - max_response_length: 8192\n    until_step: 10\n  - max_response_length: 16384\nrollout:\n  max_response_length: 16384\n`,
    });
    const first = loadConfig(path.join(dir, "x.yaml"), { env: {}, set: ["rollout.n=3"] }).config;
    const printed = path.join(dir, "printed.yaml");
    writeFileSync(printed, printConfig(first));
    expect(loadConfig(printed, { env: {} }).config).toEqual(first);
  });
});

describe("closestKey", () => {
  it.each([
    ["temprature", ["n", "temperature", "top_p"], "temperature"],
    ["kl_coeff", ["mode", "coef", "from"], "coef"],
    ["modle", ["model", "data"], "model"],
    ["zzz", ["mode", "coef"], undefined],
    ["N", ["n", "top_k"], "n"],
  ])("%s among %j", (typo, valid, expected) => {
    expect(closestKey(typo, valid)).toBe(expected);
  });
});

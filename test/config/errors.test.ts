// biome-ignore-all lint/suspicious/noTemplateCurlyInString: YAML text with ${ENV} references
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/index.js";
import { issuesOf, where, writeFiles } from "./helpers.js";

interface BrokenCase {
  name: string;
  files: Record<string, string>;
  entry?: string;
  set?: string[];
  env?: Record<string, string>;
  /** [where, dotted path, fragment of the message], in reporting order. */
  expected: [string, string, string][];
}

const MODEL = "model:\n  path: Qwen/Qwen2.5-7B\n";

const cases: BrokenCase[] = [
  {
    name: "typo key at the top level",
    files: { "x.yaml": "modle:\n  path: a\n" },
    expected: [
      ["x.yaml:1", "model", "missing required field"],
      ["x.yaml:1", "modle", 'unknown key "modle" (did you mean "model"?)'],
    ],
  },
  {
    name: "typo key at depth 2",
    files: { "x.yaml": `${MODEL}rollout:\n  n: 8\n  temprature: 1.2\n` },
    expected: [["x.yaml:5", "rollout.temprature", 'unknown key "temprature" (did you mean "temperature"?)']],
  },
  {
    name: "typo key at depth 3",
    files: { "x.yaml": `${MODEL}algorithm:\n  lr: 1e-6\n  kl:\n    mode: fixed\n    kl_coeff: 0.001\n` },
    expected: [
      ["x.yaml:5", "algorithm.kl.coef", "missing required field (expected number)"],
      ["x.yaml:7", "algorithm.kl.kl_coeff", 'unknown key "kl_coeff" (did you mean "coef"?)'],
    ],
  },
  {
    name: "typo key inside a list item (depth 4)",
    files: {
      "x.yaml": `${MODEL}rewards:\n  components:\n    - name: correctness\n    - name: reasoning_action\n      keyword: [wait]\n`,
    },
    expected: [
      ["x.yaml:7", "rewards.components[1].keyword", 'unknown key "keyword" (did you mean "keywords"?)'],
    ],
  },
  {
    name: "typo key in a backend block, no close match lists the valid keys",
    files: { "x.yaml": `${MODEL}backend:\n  type: verl\n  verl:\n    zzz: 1\n` },
    expected: [["x.yaml:6", "backend.verl.zzz", "valid keys: rollout_engine, tensor_parallel_size"]],
  },
  {
    name: "string where a number is expected",
    files: { "x.yaml": `${MODEL}rollout:\n  n: eight\n` },
    expected: [["x.yaml:4", "rollout.n", 'expected number, got "eight"']],
  },
  {
    name: "scalar where a list is expected",
    files: { "x.yaml": `${MODEL}rollout:\n  stop: "</answer>"\n` },
    expected: [["x.yaml:4", "rollout.stop", 'expected a list, got "</answer>"']],
  },
  {
    name: "number where a block is expected",
    files: { "x.yaml": `${MODEL}algorithm: 5\n` },
    expected: [["x.yaml:3", "algorithm", "expected a mapping, got 5"]],
  },
  {
    name: "bad enum value",
    files: { "x.yaml": `${MODEL}algorithm:\n  kl:\n    mode: cosin\n` },
    expected: [["x.yaml:5", "algorithm.kl.mode", 'expected one of none|fixed|cosine, got "cosin"']],
  },
  {
    name: "bad enum value inside a list",
    files: { "x.yaml": `${MODEL}rewards:\n  group_strategies:\n    - orm\n    - qz\n` },
    expected: [["x.yaml:6", "rewards.group_strategies[1]", 'expected one of orm|qs|rs, got "qz"']],
  },
  {
    name: "unknown reward component name",
    files: { "x.yaml": `${MODEL}rewards:\n  components:\n    - name: corectness\n      weight: 1\n` },
    expected: [
      [
        "x.yaml:5",
        "rewards.components[0].name",
        "expected one of correctness|format|length|reasoning_action|tool_use|",
      ],
    ],
  },
  {
    name: "missing required model.path points at its block",
    files: { "x.yaml": "name: a\nmodel:\n  dtype: bfloat16\n" },
    expected: [["x.yaml:2", "model.path", "missing required field (expected string)"]],
  },
  {
    name: "missing required field inside a list item",
    files: { "x.yaml": `${MODEL}rewards:\n  components:\n    - name: custom\n      weight: 0.5\n` },
    expected: [["x.yaml:5", "rewards.components[0].path", "missing required field"]],
  },
  {
    name: "field required by another field (kl.mode fixed needs coef)",
    files: { "x.yaml": `${MODEL}algorithm:\n  kl:\n    mode: fixed\n` },
    expected: [["x.yaml:4", "algorithm.kl.coef", "missing required field (expected number)"]],
  },
  {
    name: "mini-batch that does not divide the batch",
    files: { "x.yaml": `${MODEL}algorithm:\n  train_batch_size: 128\n  mini_batch_size: 48\n` },
    expected: [
      ["x.yaml:5", "algorithm.mini_batch_size", "expected a divisor of train_batch_size (128), got 48"],
    ],
  },
  {
    name: "number out of range",
    files: { "x.yaml": `${MODEL}rollout:\n  top_p: 1.5\n` },
    expected: [["x.yaml:4", "rollout.top_p", "expected a number <= 1, got 1.5"]],
  },
  {
    name: "all errors of a file, not just the first",
    files: {
      "x.yaml": `${MODEL}rollout:\n  n: 0\n  temperature: hot\nalgorithm:\n  lr: -1\nlogging:\n  loggers: [console, mlflow]\n`,
    },
    expected: [
      ["x.yaml:4", "rollout.n", "expected a number > 0, got 0"],
      ["x.yaml:5", "rollout.temperature", 'expected number, got "hot"'],
      ["x.yaml:7", "algorithm.lr", "expected a number > 0, got -1"],
      ["x.yaml:9", "logging.loggers[1]", 'expected one of console|jsonl|tensorboard|wandb, got "mlflow"'],
    ],
  },
  {
    name: "extends a missing file",
    files: { "x.yaml": `name: a\nextends: base/nope.yaml\n${MODEL}` },
    expected: [["x.yaml:2", "extends", "file not found: "]],
  },
  {
    name: "second entry of an extends list is missing",
    files: { "x.yaml": `extends:\n  - a.yaml\n  - b.yaml\n${MODEL}`, "a.yaml": "seed: 1\n" },
    expected: [["x.yaml:3", "extends[1]", "file not found: "]],
  },
  {
    name: "cyclic extends names the cycle",
    files: { "a.yaml": `extends: b.yaml\n${MODEL}`, "b.yaml": "seed: 3\nextends: a.yaml\n" },
    entry: "a.yaml",
    expected: [["b.yaml:2", "extends", "cyclic extends: "]],
  },
  {
    name: "extends that is not a path",
    files: { "x.yaml": `extends: 5\n${MODEL}` },
    expected: [["x.yaml:1", "extends", "expected a file path or a list of file paths, got 5"]],
  },
  {
    name: "a bad value in an extended file points at that file",
    files: {
      "presets/base.yaml": `${MODEL}rollout:\n  n: 8\n  top_k: many\n`,
      "x.yaml": "extends: presets/base.yaml\nname: child\n",
    },
    expected: [["presets/base.yaml:5", "rollout.top_k", 'expected number, got "many"']],
  },
  {
    name: "a child's override points at the child, not the parent",
    files: { "base.yaml": `${MODEL}rollout:\n  n: 8\n`, "x.yaml": "extends: base.yaml\nrollout:\n  n: -2\n" },
    expected: [["x.yaml:3", "rollout.n", "expected a number > 0, got -2"]],
  },
  {
    name: "missing environment variable without default",
    files: { "x.yaml": "name: a\nmodel:\n  path: ${MODEL_DIR}/qwen\n" },
    expected: [["x.yaml:3", "model.path", "environment variable MODEL_DIR is not set"]],
  },
  {
    name: "--set with a value of the wrong type",
    files: { "x.yaml": MODEL },
    set: ["rollout.n=abc"],
    expected: [["--set rollout.n=abc", "rollout.n", 'expected number, got "abc"']],
  },
  {
    name: "--set with an unknown key",
    files: { "x.yaml": MODEL },
    set: ["rollout.temprature=1.2"],
    expected: [["--set rollout.temprature=1.2", "rollout.temprature", '(did you mean "temperature"?)']],
  },
  {
    name: "--set without =",
    files: { "x.yaml": MODEL },
    set: ["rollout.n"],
    expected: [["--set rollout.n", "", "expected KEY=VALUE"]],
  },
  {
    name: "--set with bad enum and an error in the file are both reported",
    files: { "x.yaml": `${MODEL}seed: x\n` },
    set: ["algorithm.kl.mode=cosin"],
    expected: [
      ["x.yaml:3", "seed", 'expected number, got "x"'],
      ["--set algorithm.kl.mode=cosin", "algorithm.kl.mode", "expected one of none|fixed|cosine"],
    ],
  },
  {
    name: "--set with a value that is not YAML",
    files: { "x.yaml": MODEL },
    set: ["rollout.stop=[a, b"],
    expected: [["--set rollout.stop=[a, b", "", "invalid YAML value"]],
  },
  {
    name: "--set dropping a required field",
    files: { "x.yaml": MODEL },
    set: ["model.path=null"],
    expected: [["--set model.path=null", "model.path", "missing required field"]],
  },
  {
    name: "--set into a scalar",
    files: { "x.yaml": MODEL },
    set: ["model.path.x=1"],
    expected: [["--set model.path.x=1", "model.path", 'cannot set "x" inside "Qwen/Qwen2.5-7B"']],
  },
  {
    name: "invalid YAML: over-indented key continues the scalar above it",
    files: { "x.yaml": `${MODEL}rollout:\n  n: 8\n   top_p: 0.9\n` },
    expected: [["x.yaml:4", "", "invalid YAML"]],
  },
  {
    name: "invalid YAML: unclosed flow list is reported where the parser finds the list cut off",
    files: { "x.yaml": `${MODEL}rollout:\n  n: 8\n  stop: [a, b\nseed: 1\n` },
    expected: [["x.yaml:6", "", "invalid YAML"]],
  },
  {
    name: "duplicate key",
    files: { "x.yaml": `${MODEL}seed: 1\nseed: 2\n` },
    expected: [["x.yaml:4", "", "invalid YAML"]],
  },
  {
    name: "context stages out of order",
    files: {
      "x.yaml": `${MODEL}rollout:\n  max_response_length: 20480\ncontext_stages:\n  - max_response_length: 8192\n    until_step: 200\n  - max_response_length: 12288\n    until_step: 100\n  - max_response_length: 20480\n`,
    },
    expected: [
      [
        "x.yaml:9",
        "context_stages[1].until_step",
        "expected a step after the previous stage's (200), got 100",
      ],
    ],
  },
  {
    name: "tiny model on a cluster backend",
    files: { "x.yaml": "model:\n  path: tiny:qwen2\nbackend:\n  type: verl\n" },
    expected: [["x.yaml:2", "model.path", "tiny models are built by the hf backend only"]],
  },
];

describe("broken configs report file, line and dotted path", () => {
  it.each(cases)("$name", ({ files, entry, set, env, expected }) => {
    const dir = writeFiles(files);
    const issues = issuesOf(dir, entry ?? "x.yaml", { set, env });
    expect(issues.map((i) => [where(i, dir), i.path])).toEqual(expected.map(([w, p]) => [w, p]));
    issues.forEach((issue, i) => {
      expect(issue.message).toContain(expected[i]?.[2]);
    });
  });

  it("has at least 20 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it("formats each issue as FILE:LINE path: message", () => {
    const dir = writeFiles({ "x.yaml": `${MODEL}algorithm:\n  kl:\n    mode: cosin\n` });
    const err = (() => {
      try {
        loadConfig(`${dir}/x.yaml`, { env: {} });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      `${dir}/x.yaml:5 algorithm.kl.mode: expected one of none|fixed|cosine, got "cosin"`,
    );
  });

  it("names both files of a cycle", () => {
    const dir = writeFiles({ "a.yaml": `extends: b.yaml\n${MODEL}`, "b.yaml": "extends: a.yaml\n" });
    const [issue] = issuesOf(dir, "a.yaml");
    expect(issue?.message).toBe(`cyclic extends: ${dir}/a.yaml -> ${dir}/b.yaml -> ${dir}/a.yaml`);
  });
});

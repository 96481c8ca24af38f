import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig, printConfig, type RunConfig } from "../../src/config/index.js";
import { writeFiles } from "./helpers.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** A project whose run config lives two folders down and extends a base one folder down. */
function project(): string {
  return writeFiles({
    "configs/base.yaml": [
      "model:\n  path: tiny:qwen2",
      "data:\n  train_files: [data/train.jsonl, synthetic:max3/train]\n  eval_files: [/abs/held.jsonl]",
    ].join("\n"),
    "configs/runs/run.yaml": [
      "extends: ../base.yaml",
      "sft:\n  train_files: [../../sft/pairs.jsonl]",
      "eval:\n  benchmarks:\n    - name: aime\n      file: bench/aime.jsonl",
      "rewards:\n  components:\n    - name: custom\n      path: ./rewards/mine.ts\n    - name: correctness",
    ].join("\n"),
  });
}

const files = (c: RunConfig) => ({
  train: c.data.train_files,
  eval: c.data.eval_files,
  sft: c.sft?.train_files,
  bench: c.eval.benchmarks.map((b) => b.file),
  reward: c.rewards.components.flatMap((r) => (r.name === "custom" ? [r.path] : [])),
});

describe("relative paths in a config", () => {
  it("resolve from the file that wrote them, like extends; absolute paths and schemes stay", () => {
    const dir = project();
    const { config } = loadConfig(path.join(dir, "configs/runs/run.yaml"), { env: {} });
    expect(files(config)).toEqual({
      train: [path.join(dir, "configs/data/train.jsonl"), "synthetic:max3/train"],
      eval: ["/abs/held.jsonl"],
      sft: [path.join(dir, "sft/pairs.jsonl")],
      bench: [path.join(dir, "configs/runs/bench/aime.jsonl")],
      reward: [path.join(dir, "configs/runs/rewards/mine.ts")],
    });
  });

  it("a --set path is relative to the current directory", () => {
    const dir = project();
    const { config } = loadConfig(path.join(dir, "configs/runs/run.yaml"), {
      env: {},
      set: ["data.train_files=[mine.jsonl]", "rewards.components[0].path=r.ts"],
    });
    expect(config.data.train_files).toEqual([path.resolve("mine.jsonl")]);
    expect(files(config).reward).toEqual([path.resolve("r.ts")]);
  });

  it("a relative path written with an environment reference is saved resolved, so a resume from the run directory finds it", () => {
    const dir = writeFiles({
      "configs/run.yaml":
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a YAML environment reference, not a JS template
        'model:\n  path: tiny:qwen2\ndata:\n  train_files: ["${STILL_DATA:-../data}/train.jsonl"]',
    });
    const { config } = loadConfig(path.join(dir, "configs/run.yaml"), { env: { STILL_DATA: "../data" } });
    const saved = printConfig(config);
    expect(saved).not.toContain("${STILL_DATA");
    expect(parse(saved).data.train_files).toEqual([path.join(dir, "data/train.jsonl")]);
    writeFileSync(path.join(dir, "saved.yaml"), saved);
    expect(loadConfig(path.join(dir, "saved.yaml"), { env: {} }).config.data.train_files).toEqual([
      path.join(dir, "data/train.jsonl"),
    ]);
  });

  it("`still config print` run from another directory prints the same files", async () => {
    const dir = project();
    // The CLI from source, started in each directory as a user would start `still`.
    const cli = path.join(dir, "still.mts");
    writeFileSync(
      cli,
      `import { main } from ${JSON.stringify(path.join(repo, "src/cli/main.ts"))};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
    );
    const print = async (cwd: string, file: string) => {
      const r = await execa(path.join(repo, "node_modules/.bin/tsx"), [cli, "config", "print", file], {
        cwd,
      });
      return files(parse(r.stdout) as RunConfig);
    };
    const fromProject = await print(dir, "configs/runs/run.yaml");
    const fromRuns = await print(path.join(dir, "configs/runs"), "run.yaml");
    expect(fromRuns).toEqual(fromProject);
    expect(fromProject.bench).toEqual([path.join(dir, "configs/runs/bench/aime.jsonl")]);
  }, 60_000);

  it("every preset's data files point into the repo's data/ folder", () => {
    const load = (rel: string) => loadConfig(path.join(repo, "configs", rel), { env: {} }).config;
    expect(load("still3/still3-1.5b.yaml").data.train_files).toEqual([
      path.join(repo, "data/still3-rl-90k.jsonl"),
    ]);
    expect(load("still3/cold-start/distill-50k.yaml").sft?.train_files).toEqual([
      path.join(repo, "data/sft/long-cot-distill-50k.jsonl"),
    ]);
    expect(load("eval/still3-math.yaml").eval.benchmarks[0]!.file).toBe(
      path.join(repo, "data/benchmarks/math500.jsonl"),
    );
  });
});

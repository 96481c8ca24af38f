import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunConfig, runConfigSchema } from "../../src/config/index.js";
import { startHfEngine } from "../../src/engines/hf.js";
import { buildTinyModel } from "../../src/engines/tiny.js";
import { TINY_PRESETS } from "../../src/engines/tiny-presets.js";
import { listCheckpoints, readTrainerState } from "../../src/train/checkpoint.js";
import { type MetricsLine, readMetrics, TRAIN_METRICS } from "../../src/train/metrics.js";
import { type TrainResult, train } from "../../src/train/trainer.js";

/**
 * A few steps of the real loop: the real HF engine (a micro Qwen2 built in code) over the real ZeroMQ bridge,
 * the real reward scorer and verifier. A run stopped after step 2 and resumed must match an uninterrupted run
 * line for line: step numbers, prompts, schedule values, and (CPU determinism) the numbers themselves.
 */

let root: string;

function config(): RunConfig {
  return runConfigSchema.parse({
    name: "itest",
    seed: 3,
    model: { path: path.join(root, "model"), dtype: "float32" },
    data: {
      train_files: [path.join(root, "train.jsonl")],
      eval_files: [path.join(root, "test.jsonl")],
      seed: 5,
    },
    prompt: { template: "custom", text: "Q: {question}\nA: " },
    rollout: { n: 4, temperature: 1.0, max_prompt_length: 64, max_response_length: 12, stop: ["}"] },
    algorithm: {
      train_batch_size: 4,
      mini_batch_size: 2,
      lr: 1e-3,
      lr_schedule: { type: "cosine", warmup_steps: 1 },
      kl: { mode: "cosine", from: 0.01, to: 0, steps: 4 },
      reference_reset_every: 2,
      total_steps: 4,
      total_epochs: 10,
    },
    context_stages: [{ max_response_length: 8, until_step: 3 }, { max_response_length: 12 }],
    sft: { train_files: [path.join(root, "sft.jsonl")], lr: 1e-3, batch_size: 4, epochs: 1, max_length: 64 },
    eval: {
      before_train: true,
      every_steps: 2,
      sampling: { n: 1, temperature: 1.0, max_tokens: 12 },
      // The held-out file again, greedy: its accuracy must equal eval/accuracy.
      benchmarks: [
        { name: "heldout", file: path.join(root, "test.jsonl"), sampling: { greedy: true, max_tokens: 12 } },
      ],
    },
    checkpoint: { every_steps: 2, keep_last: 2 },
    logging: { samples_per_step: 2 },
    backend: { type: "hf", hf: { device: "cpu", micro_batch_size: 64, threads: 1 } },
  });
}

const withoutTime = (lines: MetricsLine[]) =>
  lines.map((l) => Object.fromEntries(Object.entries(l).filter(([k]) => !k.startsWith("time/"))));

const rows = (file: string) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const logs: string[] = [];
let full: TrainResult;
let stopped: TrainResult;
let resumed: TrainResult;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "still-train-"));
  const lists = Array.from({ length: 24 }, (_, i) => [i % 10, (i * 7) % 10, (i * 3 + 1) % 10]);
  const qa = lists.map((xs) =>
    JSON.stringify({ problem: `max of ${xs.join(" ")}`, answer: String(Math.max(...xs)) }),
  );
  // One question too long for rollout.max_prompt_length: dropped before training.
  const long = JSON.stringify({ problem: `max of ${"1 ".repeat(40)}2`, answer: "2" });
  writeFileSync(path.join(root, "train.jsonl"), `${[...qa.slice(0, 16), long].join("\n")}\n`);
  writeFileSync(path.join(root, "test.jsonl"), `${qa.slice(16).join("\n")}\n`);
  const sft = lists
    .slice(0, 8)
    .map((xs) => JSON.stringify({ prompt: `max of ${xs.join(" ")}`, response: `\\boxed{${xs[0]}}` }));
  writeFileSync(path.join(root, "sft.jsonl"), `${sft.join("\n")}\n`);

  // One engine process for the uninterrupted run and the run that stops after step 2, each starting from
  // the same saved initial state; the resumed run starts a fresh engine process, as `still train --resume`.
  await buildTinyModel(path.join(root, "model"), { ...TINY_PRESETS["qwen2-micro"], seed: 3 });
  const engine = await startHfEngine({ model: path.join(root, "model"), device: "cpu", threads: 1 });
  try {
    await engine.save(path.join(root, "init"));
    full = await train({
      config: config(),
      runDir: path.join(root, "full"),
      engine,
      progress: { step() {}, log: (m) => logs.push(m), close() {} },
    });
    await engine.load(path.join(root, "init"));
    stopped = await train({ config: config(), runDir: path.join(root, "resumed"), engine, stopAfterStep: 2 });
  } finally {
    await engine.shutdown();
  }
  resumed = await train({ config: config(), runDir: path.join(root, "resumed"), resume: true });
}, 600_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("train (HF engine, micro model)", () => {
  it("runs the SFT cold start, then every RL step with the issue's metric names", () => {
    expect(full.interrupted).toBe(false);
    expect(full.step).toBe(4);
    const lines = readMetrics(path.join(root, "full", "metrics.jsonl"));
    const sft = lines.filter((l) => l.stage === "sft");
    expect(sft.map((l) => l.step)).toEqual([1, 2]);
    const rl = lines.filter((l) => l.stage === undefined);
    expect(rl.map((l) => l.step)).toEqual([0, 1, 2, 3, 4]);
    for (const l of rl.slice(1)) {
      for (const name of TRAIN_METRICS) expect(typeof l[name], `${name} at step ${l.step}`).toBe("number");
    }
    for (const step of [0, 2, 4]) {
      const line = rl.find((l) => l.step === step)!;
      expect(typeof line["eval/accuracy"]).toBe("number");
      expect(typeof line["eval/accuracy_sampled"]).toBe("number");
      expect(line["eval/heldout/accuracy"]).toBe(line["eval/accuracy"]);
    }
    expect(rl.find((l) => l.step === 1)!["eval/accuracy"]).toBeUndefined();
  });

  it("drops training questions longer than the prompt budget", () => {
    expect(logs).toContain(
      "dropped 1 of 17 training questions longer than rollout.max_prompt_length (64 tokens)",
    );
  });

  it("applies the schedules step by step", () => {
    const rl = readMetrics(path.join(root, "full", "metrics.jsonl")).filter(
      (l) => l.stage === undefined && l.step > 0,
    );
    expect(rl.map((l) => l["train/max_response_length"])).toEqual([8, 8, 12, 12]);
    expect(rl.map((l) => l["train/kl_coef"])).toEqual([
      0.01,
      0.01 * 0.5 * (1 + Math.cos(Math.PI / 4)),
      0.005,
      0.01 * 0.5 * (1 + Math.cos((3 * Math.PI) / 4)),
    ]);
    expect(rl[0]!["train/lr"]).toBeCloseTo(1e-3, 12);
    expect(rl[3]!["train/lr"]).toBeCloseTo(1e-3 * 0.5 * (1 + Math.cos((2 * Math.PI) / 3)), 12);
    for (const l of rl)
      expect(l["train/response_length_mean"] as number).toBeLessThanOrEqual(
        l["train/max_response_length"] as number,
      );
  });

  it("writes the config, samples and checkpoints", () => {
    const dir = path.join(root, "full");
    expect(readFileSync(path.join(dir, "config.yaml"), "utf8")).toContain("name: itest");
    const samples = rows(path.join(dir, "samples", "train.jsonl"));
    expect(samples.length).toBe(8);
    expect(samples[0]).toMatchObject({ step: 1, prompt: expect.stringMatching(/^Q: max of /) });
    const ckpts = listCheckpoints(dir).map((c) => path.basename(c));
    expect(ckpts).toEqual(["step_000002", "step_000004"]);
    const last = listCheckpoints(dir).at(-1)!;
    expect(readTrainerState(last)).toMatchObject({ step: 4, sft: { done: true, step: 2 } });
    expect(existsSync(path.join(last, "engine", "policy", "config.json"))).toBe(true);
  });

  it("resumes with exactly the steps, prompts, schedule values and numbers of an uninterrupted run", () => {
    expect(stopped.interrupted).toBe(true);
    expect(stopped.step).toBe(2);
    expect(resumed.interrupted).toBe(false);
    expect(resumed.step).toBe(4);
    const a = readMetrics(path.join(root, "full", "metrics.jsonl"));
    const b = readMetrics(path.join(root, "resumed", "metrics.jsonl"));
    expect(withoutTime(b)).toEqual(withoutTime(a));
    expect(rows(path.join(root, "resumed", "samples", "train.jsonl"))).toEqual(
      rows(path.join(root, "full", "samples", "train.jsonl")),
    );
    expect(rows(path.join(root, "resumed", "samples", "eval.jsonl"))).toEqual(
      rows(path.join(root, "full", "samples", "eval.jsonl")),
    );
  });
});

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConfigSchema } from "../../src/config/index.js";
import type { Engine, PolicySample } from "../../src/engines/engine.js";
import { startHfEngine } from "../../src/engines/hf.js";
import { buildTinyModel } from "../../src/engines/tiny.js";
import { DIALECTS } from "../../src/tools/dialect.js";
import { readMetrics } from "../../src/train/metrics.js";
import { type TrainResult, train } from "../../src/train/trainer.js";

/**
 * Tool-integrated RL in the real loop: the real HF engine (a tiny Qwen2 built in code) and the real bubblewrap
 * sandbox. The SFT stage teaches one trace whose code block prints 6*7 but whose output block reads "??", so a
 * "42" in an output block can only come from the sandbox (same length: the memorised continuation lines up).
 * Then two GRPO steps with tools enabled, evaluated with and without tool execution.
 */

const CODE = "```python\nprint(6*7)\n```\n\n";
const TRACE = `${CODE}${DIALECTS.still.formatOutput("??")}\\boxed{42}`;
const SANDBOX_OUTPUT = DIALECTS.still.formatOutput("42");

let root: string;
let engine: Engine;
let result: TrainResult;
const batches: { step: number; batch: readonly PolicySample[] }[] = [];
/** bwrap processes of this test process seen during the run (prestarted sandboxes) and after it. */
let bwrapDuringRun = 0;
let bwrapAfterRun = -1;

/** Live bwrap processes whose parent is this process. */
function bwrapChildren(): number {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid ...
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const [state, ppid] = stat
      .slice(close + 2)
      .split(" ")
      .slice(0, 2);
    if (comm === "bwrap" && Number(ppid) === process.pid && state !== "Z") n++;
  }
  return n;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), "still-train-tools-"));
  const qa = `${JSON.stringify({ problem: "q", answer: "42" })}\n`;
  writeFileSync(path.join(root, "train.jsonl"), qa.repeat(4));
  writeFileSync(path.join(root, "test.jsonl"), qa);
  writeFileSync(
    path.join(root, "sft.jsonl"),
    `${JSON.stringify({ prompt: "q", response: TRACE })}\n`.repeat(8),
  );
  await buildTinyModel(path.join(root, "model"), { hidden: 64, layers: 2, heads: 4, kvHeads: 2, seed: 0 });
  engine = await startHfEngine({ model: path.join(root, "model"), device: "cpu", threads: 1 });
  const config = runConfigSchema.parse({
    name: "tools-itest",
    seed: 0,
    model: { path: path.join(root, "model"), dtype: "float32" },
    data: { train_files: [path.join(root, "train.jsonl")], eval_files: [path.join(root, "test.jsonl")] },
    prompt: { template: "custom", text: "Q: {question}\n" },
    rollout: { n: 4, temperature: 1.0, max_prompt_length: 16, max_response_length: 64 },
    rewards: {
      components: [
        { name: "correctness", variant: "binary" },
        { name: "tool_use", bonus: 0.5 },
      ],
    },
    algorithm: { train_batch_size: 2, lr: 1e-4, total_steps: 2, total_epochs: 1 },
    sft: {
      train_files: [path.join(root, "sft.jsonl")],
      lr: 3e-3,
      batch_size: 8,
      epochs: 100,
      max_length: 96,
    },
    tools: { enabled: true, dialect: "still", max_calls: 1, sandbox: { pool_size: 2, timeout_ms: 10_000 } },
    eval: {
      before_train: true,
      sampling: { greedy: true, max_tokens: 64 },
      benchmarks: [{ name: "no_tool", file: path.join(root, "test.jsonl"), tools: false }],
    },
    checkpoint: { keep_last: 1 },
    backend: { type: "hf", hf: { device: "cpu", threads: 1 } },
  });
  result = await train({
    config,
    runDir: path.join(root, "run"),
    engine,
    progress: {
      step: () => {
        bwrapDuringRun = Math.max(bwrapDuringRun, bwrapChildren());
      },
      log() {},
      close() {},
    },
    onPolicyBatch: (step, batch) => batches.push({ step, batch }),
  });
  // close() kills the prestarted sandboxes; give the kernel and libuv a moment to reap them.
  for (let i = 0; i < 50 && bwrapChildren() > 0; i++) await new Promise((r) => setTimeout(r, 100));
  bwrapAfterRun = bwrapChildren();
}, 600_000);

afterAll(async () => {
  await engine?.shutdown();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Maximal runs of `value` in `mask`, as [start, end) index pairs. */
function runsOf(mask: Uint8Array, value: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] !== value) continue;
    const start = i;
    while (i < mask.length && mask[i] === value) i++;
    out.push([start, i]);
  }
  return out;
}

describe("train with tools.enabled (HF engine, bubblewrap sandbox)", () => {
  it("trains every step on tool rollouts with the sandbox output masked out", async () => {
    expect(result.step).toBe(2);
    expect(batches.map((b) => b.step)).toEqual([1, 2]);
    let masked = 0;
    let sampledLogprobSum = 0;
    for (const { batch } of batches) {
      expect(batch).toHaveLength(8);
      for (const s of batch) {
        expect(s.lossMask).toHaveLength(s.responseIds.length);
        for (const [start, end] of runsOf(s.lossMask, 0)) {
          masked++;
          const [tool, before] = await engine.detokenize([
            s.responseIds.subarray(start, end),
            s.responseIds.subarray(0, start),
          ]);
          // Exactly the appended interpreter output, right after the model's closed code block.
          expect(tool).toBe(SANDBOX_OUTPUT);
          expect(before!.endsWith("```\n\n")).toBe(true);
          // Appended tokens were not sampled: old log-prob 0 there, the sampler's log-probs elsewhere.
          expect(Array.from(s.oldLogprobs.subarray(start, end)).every((lp) => lp === 0)).toBe(true);
        }
        for (const [start, end] of runsOf(s.lossMask, 1)) {
          for (const lp of s.oldLogprobs.subarray(start, end)) {
            expect(lp).toBeLessThanOrEqual(0);
            sampledLogprobSum += lp;
          }
        }
      }
    }
    // The memorised trace makes (nearly) every response call the tool.
    expect(masked).toBeGreaterThanOrEqual(12);
    expect(sampledLogprobSum).toBeLessThan(0);
  });

  it("logs tool metrics per step and tool-use rewards from the rollout's calls", () => {
    const lines = readMetrics(path.join(root, "run", "metrics.jsonl")).filter((l) => l.stage === undefined);
    const rl = lines.filter((l) => l.step > 0);
    expect(rl.map((l) => l.step)).toEqual([1, 2]);
    for (const l of rl) {
      expect(l["train/tool_calls_mean"]).toBeGreaterThan(0.5);
      expect(l["train/tool_calls_mean"]).toBeLessThanOrEqual(1);
      expect(l["train/tool_success_rate"]).toBeGreaterThan(0);
      expect(l["train/tool_token_fraction"]).toBeGreaterThan(0);
    }
    const samples = readFileSync(path.join(root, "run", "samples", "train.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((r) => JSON.parse(r) as { response: string; tool_calls: number; reward: number; verdict: string });
    for (const s of samples.filter((x) => x.tool_calls === 1 && x.response.includes(SANDBOX_OUTPUT))) {
      expect(s.reward).toBe(s.verdict === "correct" ? 1.5 : 0.5);
    }
  });

  it("evaluates with tool execution, and without it where a benchmark says tools: false", () => {
    const lines = readMetrics(path.join(root, "run", "metrics.jsonl")).filter((l) => l.stage === undefined);
    const first = lines.find((l) => l.step === 0)!;
    expect(first["eval/accuracy"]).toBe(1);
    expect(first["eval/tool_calls_mean"]).toBe(1);
    expect(first["eval/tool_success_rate"]).toBe(1);
    expect(first["eval/no_tool/accuracy"]).toBe(1);
    expect(first["eval/no_tool/tool_calls_mean"]).toBeUndefined();
    const evals = readFileSync(path.join(root, "run", "samples", "eval.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((r) => JSON.parse(r) as { step: number; response: string; toolCalls: number });
    expect(evals[0]).toMatchObject({
      step: 0,
      toolCalls: 1,
      response: `${CODE}${SANDBOX_OUTPUT}\\boxed{42}`,
    });
  });

  it("closes the sandbox pool at the end of the run", () => {
    expect(bwrapDuringRun).toBeGreaterThan(0);
    expect(bwrapAfterRun).toBe(0);
  });
});

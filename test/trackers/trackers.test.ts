import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { runConfigSchema } from "../../src/config/index.js";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";
import { crc32c } from "../../src/trackers/crc32c.js";
import { openTrackers } from "../../src/trackers/index.js";
import { wandbMode } from "../../src/trackers/wandb.js";
import { type MetricsLine, MetricsWriter } from "../../src/train/metrics.js";

const reader = fileURLToPath(new URL("./fixtures/read_tracker.py", import.meta.url));

async function readBack(kind: "tensorboard" | "wandb", file: string): Promise<Record<string, number[][]>> {
  const r = await execa(resolvePython().executable, [reader, kind, file], { env: pythonEnv() });
  return JSON.parse(r.stdout) as Record<string, number[][]>;
}

/** What a run writes: SFT lines with their own steps, then RL lines (eval at step 0 and with the last step). */
const LINES: MetricsLine[] = [
  { stage: "sft", step: 1, "sft/loss": 2.5 },
  { stage: "sft", step: 2, "sft/loss": 1.25 },
  { step: 0, "eval/accuracy": 0.375 },
  { step: 1, "train/reward_mean": 0.5, "train/lr": 1e-6, "time/step_s": 0.75 },
  { step: 2, "train/reward_mean": 0.625, "train/lr": 1e-6, "time/step_s": 0.5, "eval/accuracy": 0.875 },
];

const WANT = {
  "sft/loss": [
    [1, 2.5],
    [2, 1.25],
  ],
  "eval/accuracy": [
    [0, 0.375],
    [2, 0.875],
  ],
  "train/reward_mean": [
    [1, 0.5],
    [2, 0.625],
  ],
  "time/step_s": [
    [1, 0.75],
    [2, 0.5],
  ],
};

describe("experiment trackers", () => {
  it("CRC-32C matches the standard check value", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
  });

  it("chooses offline wandb without an API key, and says so; WANDB_MODE wins", () => {
    expect(wandbMode({})).toMatchObject({ mode: "offline", notice: expect.stringContaining("wandb sync") });
    expect(wandbMode({ WANDB_API_KEY: "k" })).toEqual({ mode: "online" });
    expect(wandbMode({ WANDB_MODE: "disabled", WANDB_API_KEY: "k" })).toEqual({ mode: "disabled" });
  });

  it("writes TensorBoard event files and an offline wandb run with metrics.jsonl's names", async () => {
    const runDir = mkdtempSync(path.join(tmpdir(), "still-trackers-"));
    const config = runConfigSchema.parse({
      name: "trackers-test",
      model: { path: "tiny:qwen2" },
      logging: { loggers: ["console", "jsonl", "tensorboard", "wandb"] },
    });
    const said: string[] = [];
    const saved = { mode: process.env.WANDB_MODE, key: process.env.WANDB_API_KEY };
    delete process.env.WANDB_MODE;
    delete process.env.WANDB_API_KEY;
    let writer: MetricsWriter;
    try {
      writer = new MetricsWriter(
        path.join(runDir, "metrics.jsonl"),
        openTrackers(config, runDir, (l) => said.push(l)),
      );
    } finally {
      if (saved.mode !== undefined) process.env.WANDB_MODE = saved.mode;
      if (saved.key !== undefined) process.env.WANDB_API_KEY = saved.key;
    }
    for (const line of LINES) writer.append(line);
    await writer.close();

    expect(said.some((l) => l.includes("logging offline"))).toBe(true);
    expect(readFileSync(path.join(runDir, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(
      LINES.length,
    );

    const tb = await readBack("tensorboard", path.join(runDir, "tensorboard"));
    // A fixed lr is logged too: trackers get every number, like metrics.jsonl.
    expect(tb["train/lr"]?.map(([s]) => s)).toEqual([1, 2]);
    for (const [tag, points] of Object.entries(WANT)) expect(tb[tag], tag).toEqual(points);

    const wandbDir = path.join(runDir, "wandb");
    const offline = readdirSync(wandbDir).filter((d) => d.startsWith("offline-run-"));
    expect(offline).toHaveLength(1);
    const runFile = readdirSync(path.join(wandbDir, offline[0]!)).find((f) => f.endsWith(".wandb"))!;
    const wb = await readBack("wandb", path.join(wandbDir, offline[0]!, runFile));
    for (const [tag, points] of Object.entries(WANT)) expect(wb[tag], tag).toEqual(points);
  });

  it("reports a wandb sink that dies and lets the run go on", async () => {
    const runDir = mkdtempSync(path.join(tmpdir(), "still-trackers-"));
    const config = runConfigSchema.parse({
      model: { path: "tiny:qwen2" },
      python: "/nonexistent/python",
      logging: { loggers: ["wandb"] },
    });
    const said: string[] = [];
    const writer = new MetricsWriter(
      path.join(runDir, "metrics.jsonl"),
      openTrackers(config, runDir, (l) => said.push(l)),
    );
    writer.append({ step: 1, "train/reward_mean": 1 });
    await writer.close();
    expect(said.filter((l) => l.startsWith("wandb tracker stopped"))).toHaveLength(1);
    expect(readFileSync(path.join(runDir, "metrics.jsonl"), "utf8")).toContain('"train/reward_mean":1');
  });
});

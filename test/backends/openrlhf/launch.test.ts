import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hfSnapshot, runOpenrlhf, segmentAfter, segmentArgv } from "../../../src/backends/openrlhf/launch.js";
import { metricsLine, parseStepLine } from "../../../src/backends/openrlhf/metrics.js";
import { packageRoot } from "../../../src/util/paths.js";
import { runCli } from "../../helpers/cli.js";
import { gone } from "../../helpers/processes.js";
import { startRayHead, type TestRayHead } from "../../helpers/ray.js";
import { fixtures, runConfig, tinyModel } from "./helpers.js";

/**
 * `still train` with backend openrlhf on a machine without a GPU: the relaunch sequence (reference reset,
 * context stages) with a stand-in for train_ppo_ray, then the real train_ppo_ray locally and through
 * `ray job submit` to a Ray head this test starts, each stopping where a GPU machine's packages are needed.
 */

const flag = (argv: string[], name: string) => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1]?.startsWith("--") || argv[i + 1] === undefined ? true : argv[i + 1];
};

const base = {
  data: { train_files: ["x.jsonl"] },
  rollout: { n: 2, max_prompt_length: 128, max_response_length: 64 },
  algorithm: { train_batch_size: 4, mini_batch_size: 4, kl: { mode: "fixed", coef: 0.001, estimator: "k1" } },
};

describe("relaunch segments (pure)", () => {
  it.each([
    // reset every 3 of 10 steps: launches end after 3, 6, 9, then run to the end
    [{ reference_reset_every: 3, total_steps: 10 }, [], 0, 3, ["reset_reference"], 0],
    [{ reference_reset_every: 3, total_steps: 10 }, [], 6, 9, ["reset_reference"], 0],
    [{ reference_reset_every: 3, total_steps: 10 }, [], 9, null, [], 0],
    [{ reference_reset_every: 5, total_steps: 10 }, [], 5, null, [], 0],
    // stages 8k until step 4 (exclusive), then 16k: the first launch ends after step 3
    [
      { total_steps: 8 },
      [{ max_response_length: 8, until_step: 4 }, { max_response_length: 16 }],
      0,
      3,
      ["context_stage"],
      0,
    ],
    [
      { total_steps: 8 },
      [{ max_response_length: 8, until_step: 4 }, { max_response_length: 16 }],
      3,
      null,
      [],
      1,
    ],
    // both at once: one relaunch for both reasons
    [
      { reference_reset_every: 3, total_steps: 8 },
      [{ max_response_length: 8, until_step: 4 }, { max_response_length: 16 }],
      0,
      3,
      ["context_stage", "reset_reference"],
      0,
    ],
    [
      { reference_reset_every: 3, total_steps: 8 },
      [{ max_response_length: 8, until_step: 4 }, { max_response_length: 16 }],
      3,
      6,
      ["reset_reference"],
      1,
    ],
    // no total_steps: resets go on
    [{ reference_reset_every: 2 }, [], 4, 6, ["reset_reference"], 0],
  ] as const)(
    "%j %j after step %i → until %s %j (stage %i)",
    (algorithm, stages, from, until, reasons, stage) => {
      const config = runConfig({
        ...base,
        algorithm: { ...base.algorithm, ...algorithm },
        ...(stages.length > 0 && {
          context_stages: stages,
          rollout: { ...base.rollout, max_response_length: 16 },
        }),
      });
      expect(segmentAfter(config, from)).toEqual({ fromStep: from, untilStep: until, stage, reasons });
    },
  );

  it("a later segment starts from the last snapshot as policy and reference, resumed, with its stage's budget", () => {
    const config = runConfig({
      ...base,
      algorithm: { ...base.algorithm, reference_reset_every: 3, total_steps: 8 },
      context_stages: [{ max_response_length: 8, until_step: 4 }, { max_response_length: 16 }],
      rollout: { ...base.rollout, max_response_length: 16 },
      checkpoint: { every_steps: 2 },
    });
    const first = segmentArgv(config, "/r", segmentAfter(config, 0), "http://h/get_reward").argv;
    expect(flag(first, "--actor.model_name_or_path")).toBe("m");
    expect(flag(first, "--rollout.max_new_tokens")).toBe("8");
    expect(flag(first, "--ckpt.save_steps")).toBe("1"); // gcd(2, 3): step 3 is saved
    expect(flag(first, "--ckpt.save_hf")).toBe(true);
    const second = segmentArgv(config, "/r", segmentAfter(config, 3), "http://h/get_reward");
    expect(second.model).toBe(hfSnapshot("/r/ckpt", 3));
    expect(flag(second.argv, "--actor.model_name_or_path")).toBe("/r/ckpt/global_step3_hf");
    expect(flag(second.argv, "--rollout.max_new_tokens")).toBe("16");
    expect(flag(second.argv, "--data.max_len")).toBe(String(128 + 16));
    expect(flag(second.argv, "--ckpt.load_enable")).toBe(true);
    expect(flag(second.argv, "--ckpt.path")).toBe("/r/ckpt");
  });
});

describe("OpenRLHF step metrics (pure)", () => {
  it("reads the trainer's step line into HF-run metric names, keeping OpenRLHF's keys", () => {
    const line =
      "(PPOTrainer pid=7) [2026-12-03 10:00:00] ppo_trainer.py:551 ✨ Global step 12: {'policy_loss': -0.0123, 'kl': 0.00042, 'actor_lr': 2e-06, 'rollout/reward_mean': 0.375, 'rollout/truncated_rate': 0.125, 'rollout/response_length_mean': 812.5, 'timing/step_total': 301.2, 'acc': 0.5, 'dynamic_filtering_pass_rate': nan, 'flag': True, 'name': 'x'}";
    const parsed = parseStepLine(line);
    expect(parsed).toEqual({
      step: 12,
      metrics: {
        policy_loss: -0.0123,
        kl: 0.00042,
        actor_lr: 2e-6,
        "rollout/reward_mean": 0.375,
        "rollout/truncated_rate": 0.125,
        "rollout/response_length_mean": 812.5,
        "timing/step_total": 301.2,
        acc: 0.5,
        flag: 1,
      },
    });
    expect(metricsLine(12, parsed!.metrics)).toMatchObject({
      step: 12,
      "train/reward_mean": 0.375,
      "train/accuracy": 0.5,
      "train/response_length_mean": 812.5,
      "train/completion_ratio": 0.875,
      "train/kl": 0.00042,
      "train/lr": 2e-6,
      "time/step_s": 301.2,
      policy_loss: -0.0123,
    });
    expect(parseStepLine("Global step: nothing")).toBeNull();
    expect(parseStepLine("fake openrlhf: step 3")).toBeNull();
  });
});

let model: string;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "still-openrlhf-launch-"));
  model = await tinyModel();
  writeFileSync(
    path.join(dir, "train.jsonl"),
    `${Array.from({ length: 8 }, (_, i) => JSON.stringify({ problem: `What is ${i} + ${i}?`, answer: String(2 * i) })).join("\n")}\n`,
  );
}, 300_000);

const progress = (lines: string[]) => ({
  step: () => {},
  log: (l: string) => void lines.push(l),
  close: () => {},
});

describe("reference reset sequence with a stand-in for train_ppo_ray (a real one needs a GPU)", () => {
  it("runs to the reset step, stops, relaunches from the HF snapshot with --ckpt.load_enable, runs to the end", {
    timeout: 180_000,
  }, async () => {
    const runDir = path.join(dir, "run-reset");
    const config = runConfig({
      ...base,
      python: path.join(fixtures, "fake_openrlhf.py"),
      model: { path: model },
      data: { train_files: [path.join(dir, "train.jsonl")] },
      algorithm: { ...base.algorithm, reference_reset_every: 2, total_steps: 4 },
    });
    process.env.FAKE_TOTAL_STEPS = "4";
    const lines: string[] = [];
    const result = await runOpenrlhf({
      config,
      runDir,
      resume: false,
      progress: progress(lines),
      signal: new AbortController().signal,
    });
    const launches = readFileSync(path.join(runDir, "launches.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { flags: string[]; resumed_at: number; pid: number });
    expect(launches).toHaveLength(2);
    expect(flag(launches[0]!.flags, "--actor.model_name_or_path")).toBe(model);
    expect(launches[0]!.resumed_at).toBe(0);
    const snapshot = path.join(path.resolve(runDir), "ckpt", "global_step2_hf");
    expect(flag(launches[1]!.flags, "--actor.model_name_or_path")).toBe(snapshot);
    expect(flag(launches[1]!.flags, "--ckpt.load_enable")).toBe(true);
    expect(launches[1]!.resumed_at).toBe(2);
    // The first launch was stopped at its boundary, not run to the end.
    const log = readFileSync(path.join(runDir, "openrlhf.log"), "utf8");
    expect(log.split("fake openrlhf: step 4").length - 1).toBe(1);
    expect(log).not.toMatch(
      /step 2\n(.*\n)*?fake openrlhf: step 3\n(.*\n)*?fake openrlhf: starting at step 2/,
    );
    expect(lines.join("\n")).toMatch(new RegExp(`relaunching after step 2 with ${snapshot}`));
    const steps = readFileSync(path.join(runDir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, number>);
    expect(steps.map((m) => m.step)).toEqual([1, 2, 3, 4]);
    expect(steps[2]).toMatchObject({
      "train/reward_mean": 0.3,
      "train/completion_ratio": 0.75,
      "train/lr": 1e-6,
    });
    expect(result).toMatchObject({
      step: 4,
      interrupted: false,
      checkpoint: hfSnapshot(path.join(path.resolve(runDir), "ckpt"), 4),
    });
    // The converted data: the prompt rendered by still-rl, the answer as the label.
    const rows = readFileSync(path.join(runDir, "data", "train.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(8);
    expect(rows[3]).toMatchObject({ answer: "6" });
    expect(rows[3].prompt).toContain("What is 3 + 3?");
    for (const l of launches) expect(existsSync(`/proc/${l.pid}`)).toBe(false);
    expect(await gone("STILL_RUN_DIR", path.resolve(runDir), 10_000)).toEqual([]);
  });

  it("Ctrl-C stops the job and reports an interrupted run, nothing left", { timeout: 120_000 }, async () => {
    const runDir = path.join(dir, "run-abort");
    const config = runConfig({
      ...base,
      python: path.join(fixtures, "fake_openrlhf.py"),
      model: { path: model },
      data: { train_files: [path.join(dir, "train.jsonl")] },
      algorithm: { ...base.algorithm, total_steps: 100 },
    });
    process.env.FAKE_TOTAL_STEPS = "100";
    const ac = new AbortController();
    const lines: string[] = [];
    const sink = progress(lines);
    const running = runOpenrlhf({
      config,
      runDir,
      resume: false,
      progress: {
        ...sink,
        log: (l) => {
          sink.log(l);
          if (l.includes("step 1")) ac.abort();
        },
      },
      signal: ac.signal,
    });
    const result = await running;
    expect(result.interrupted).toBe(true);
    expect(await gone("STILL_RUN_DIR", path.resolve(runDir), 10_000)).toEqual([]);
  });
});

function writeConfig(name: string, extra = ""): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
model:
  path: ${model}
data:
  train_files: [${path.join(dir, "train.jsonl")}]
prompt:
  template: r1_zero_short
rollout:
  n: 2
  max_prompt_length: 256
  max_response_length: 64
algorithm:
  train_batch_size: 4
  mini_batch_size: 4
  total_steps: 2
rewards:
  components:
    - name: correctness
backend:
  type: openrlhf
  openrlhf:
    flash_attn: false
    packing_samples: false
${extra}`,
  );
  return file;
}

describe("still train with backend openrlhf, real train_ppo_ray (no GPU packages here)", () => {
  it("locally: one clear message naming what is missing, the log's last lines, exit 1, nothing left", {
    timeout: 300_000,
  }, async () => {
    const runDir = path.join(dir, "run-local");
    const r = await runCli(["train", writeConfig("local"), "--out", runDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/OpenRLHF needs (ray|vllm) \(a GPU machine's package/);
    expect(r.stderr).toMatch(/OpenRLHF exited with code 1; last lines of .*openrlhf\.log/);
    expect(r.stderr).toMatch(/\| .*ModuleNotFoundError: No module named '(ray|vllm)'/);
    expect(readFileSync(path.join(runDir, "openrlhf.log"), "utf8")).toMatch(/train_ppo_ray/);
    expect(await gone("STILL_RUN_DIR", path.resolve(runDir), 30_000)).toEqual([]);
  });

  describe("through ray job submit to a Ray head the test starts (Ray from .venv-verl: OpenRLHF's venv has none here)", () => {
    const ray = path.join(packageRoot, ".venv-verl", "bin", "ray");
    let address = "";
    let head: TestRayHead | undefined;
    beforeAll(async () => {
      head = await startRayHead(ray, 4);
      address = head.address;
    }, 600_000);
    afterAll(() => head?.stop(), 60_000);

    it("submits the job with the reward URL and run env, reports the failure clearly, leaves no job process", {
      timeout: 600_000,
    }, async () => {
      process.env.STILL_RAY = ray;
      const runDir = path.join(dir, "run-ray");
      const r = await runCli([
        "train",
        writeConfig("ray", `cluster:\n  type: ray\n  address: ${address}\n`),
        "--out",
        runDir,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Ray job \S+ on http:\/\/127\.0\.0\.1:\d+: FAILED/);
      expect(r.stderr).toMatch(/OpenRLHF needs (ray|vllm)/);
      expect(readFileSync(path.join(runDir, "openrlhf.log"), "utf8")).toMatch(
        /--reward\.remote_url http:\/\/[\d.]+:\d+\/[0-9a-f]{48}\/get_reward|No module named/,
      );
      expect(await gone("STILL_RUN_DIR", path.resolve(runDir), 60_000)).toEqual([]);
    });
  });
});

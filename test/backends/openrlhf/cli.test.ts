import path from "node:path";
import { describe, expect, it } from "vitest";
import { openrlhfDoctor } from "../../../src/backends/openrlhf/index.js";
import { loadConfig } from "../../../src/config/index.js";
import { packageRoot } from "../../../src/util/paths.js";
import { runCli } from "../../helpers/cli.js";

const still3 = path.join(packageRoot, "configs", "still3", "still3-1.5b.yaml");

describe("still config compile --backend openrlhf and the OpenRLHF doctor", () => {
  it("--check: OpenRLHF's own parser accepts STILL-3-1.5B; the script is the exact command", {
    timeout: 180_000,
  }, async () => {
    const r = await runCli([
      "config",
      "compile",
      still3,
      "--backend",
      "openrlhf",
      "--check",
      "--out",
      "/tmp/run",
    ]);
    expect(r.stderr).toMatch(/ok: OpenRLHF accepts the launch of .*still3-1\.5b\.yaml/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(r.stdout).toMatch(/exec \S*\.venv-openrlhf\/bin\/python -m openrlhf\.cli\.train_ppo_ray \\\n/);
    expect(r.stdout).toMatch(/ {2}--reward\.remote_url http:\/\/127\.0\.0\.1:5000\/get_reward \\\n/);
    expect(r.stdout).toMatch(/ {2}--data\.prompt_dataset \/tmp\/run\/data\/train\.jsonl \\\n/);
    expect(r.stdout).toMatch(/# algorithm\.reference_reset_every: relaunch/);
  });

  it("--format yaml names each flag's YAML paths; a typo in extra_args is OpenRLHF's error at its path", {
    timeout: 180_000,
  }, async () => {
    const y = await runCli(["config", "compile", still3, "--backend", "openrlhf", "--format", "yaml"]);
    expect(y.code).toBe(0);
    expect(y.stdout).toMatch(/^command: python -m openrlhf\.cli\.train_ppo_ray\nflags:\n/);
    expect(y.stdout).toMatch(/"--rollout\.n_samples_per_prompt": "8" {2}# rollout\.n/);
    expect(y.stdout).toMatch(/"--ckpt\.save_hf": true/);
    const bad = await runCli([
      "config",
      "compile",
      still3,
      "--backend",
      "openrlhf",
      "--check",
      "--set",
      'backend.openrlhf.extra_args=["--algo.kl.init_coeff", "0.1"]',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/backend\.openrlhf\.extra_args.*OpenRLHF: .*--algo\.kl\.init_coeff/);
  });

  it("doctor: .venv-openrlhf's OpenRLHF is fine; what a GPU launch still needs fails with how to add it", {
    timeout: 120_000,
  }, async () => {
    const checks = await openrlhfDoctor(loadConfig(still3).config);
    const by = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(by["OpenRLHF openrlhf"]).toMatchObject({ value: "0.11.2", ok: true });
    expect(by["OpenRLHF transformers"]?.ok).toBe(true);
    for (const name of ["vllm", "deepspeed", "ray", "flash-attn"]) {
      expect(by[`OpenRLHF ${name}`]).toMatchObject({ value: "not installed", ok: false });
      expect(by[`OpenRLHF ${name}`]?.fix).toMatch(/a GPU launch of OpenRLHF needs/);
    }
    const missing = await openrlhfDoctor({ ...loadConfig(still3).config, python: "/nonexistent/python" });
    expect(missing).toEqual([
      expect.objectContaining({ ok: false, fix: expect.stringMatching(/npm run setup:openrlhf/) }),
    ]);
  });
});

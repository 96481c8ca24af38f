import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkIssues, runVerlChecks } from "../../../src/backends/verl/check.js";
import { compileVerl, verlRefusals } from "../../../src/backends/verl/compile.js";
import { loadConfig } from "../../../src/config/index.js";
import { runCli } from "../../helpers/cli.js";
import { verlPython } from "./helpers.js";

/**
 * `still config compile --check` against the real veRL 0.9.1 of .venv-verl: Hydra composition with veRL's
 * own config, validate_config, dataclass conversion and the registries with the still-rl plugin loaded.
 */

const presets = (readdirSync("configs", { recursive: true }) as string[])
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => path.join("configs", f))
  .sort()
  .map((file) => ({ file, config: loadConfig(file).config }))
  .filter((p) => p.config.backend.type === "verl" && verlRefusals(p.config).length === 0);

const base = path.resolve("configs/still3/table1/kl-fixed.yaml");
function broken(yaml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "still-verl-check-"));
  const file = path.join(dir, "broken.yaml");
  writeFileSync(file, `extends: ${base}\n${yaml}`);
  return file;
}

describe("compile --check with veRL 0.9.1", () => {
  it("accepts every veRL RL preset in configs/", { timeout: 900_000 }, async () => {
    expect(presets.length).toBeGreaterThanOrEqual(30);
    const launches = presets.map((p) => compileVerl(p.config, "runs/check"));
    const results = await runVerlChecks(verlPython(), launches);
    const failures = results.flatMap((errors, i) =>
      errors.length > 0 ? [`${presets[i]?.file}: ${JSON.stringify(errors)}`] : [],
    );
    expect(failures).toEqual([]);
  });

  it("reports veRL's errors against the YAML path that produced them", { timeout: 300_000 }, async () => {
    const cases = [
      // A typo in a verbatim override: Hydra refuses the key.
      {
        set: ["backend.verl.overrides=[actor_rollout_ref.actor.kl_loss_coeff=0.1]"],
        paths: ["backend.verl.overrides[0]"],
        stage: "compose",
      },
      // Batch sizes veRL cannot split over 8 GPUs (validate_config).
      {
        set: [
          "backend.verl.use_dynamic_bsz=false",
          "algorithm.train_batch_size=4",
          "algorithm.mini_batch_size=4",
          "rollout.n=1",
        ],
        paths: ["algorithm.train_batch_size", "rollout.n", "backend.verl.n_gpus_per_node"],
        stage: "validate_config",
      },
      // What validate_config lets through: an unknown advantage estimator (registry check).
      {
        set: ["backend.verl.overrides=[algorithm.adv_estimator=grpoo]"],
        paths: ["backend.verl.overrides[0]"],
        stage: "adv_estimator",
      },
      // An agent loop no plugin registered (registry check).
      {
        set: ["backend.verl.overrides=[actor_rollout_ref.rollout.agent.default_agent_loop=nope]"],
        paths: ["backend.verl.overrides[0]"],
        stage: "agent_loop",
      },
    ];
    const launches = cases.map((c) => compileVerl(loadConfig(base, { set: c.set }).config, "runs/check"));
    const results = await runVerlChecks(verlPython(), launches);
    cases.forEach((c, i) => {
      const errors = results[i] ?? [];
      expect(errors.map((e) => e.stage)).toContain(c.stage);
      const paths = checkIssues(errors, launches[i]!).map((x) => x.path);
      expect(paths).toEqual(expect.arrayContaining(c.paths));
    });
  });

  it("still config compile --check names the file line of the offending value", {
    timeout: 300_000,
  }, async () => {
    const file = broken("backend:\n  verl:\n    overrides:\n      - actor_rollout_ref.actor.ppo_epochz=2\n");
    const r = await runCli(["config", "compile", file, "--check"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /broken\.yaml:\d+ backend\.verl\.overrides\[0\]: veRL compose: Could not override 'actor_rollout_ref\.actor\.ppo_epochz'/,
    );
    const ok = await runCli([
      "config",
      "compile",
      "configs/still3/table1/kl-cosine.yaml",
      "--check",
      "--format",
      "yaml",
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/"trainer\.v1\.trainer_mode=still3"/);
    expect(ok.stdout).toMatch(/"actor_rollout_ref\.actor\.kl_loss_coef=0\.001" {2}# algorithm\.kl\.from/);
  });

  it("refuses a knob veRL cannot honour before asking veRL, naming its line", async () => {
    const file = broken('rollout:\n  stop: ["</answer>"]\n');
    const r = await runCli(["config", "compile", file, "--check"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.yaml:3 rollout\.stop: veRL 0\.9\.1's rollout has no stop strings/);
  });
});

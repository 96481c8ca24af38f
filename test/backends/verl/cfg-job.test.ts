import { readdirSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { compileVerl, verlRefusals } from "../../../src/backends/verl/compile.js";
import { verlEnv } from "../../../src/backends/verl/python.js";
import { loadConfig } from "../../../src/config/index.js";
import { verlPython } from "./helpers.js";

/** veRL's own command line takes every compiled preset: `main_ppo --cfg job <overrides>` exits 0. */

const presets = (readdirSync("configs", { recursive: true }) as string[])
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => path.join("configs", f))
  .sort()
  .map((file) => ({ file, config: loadConfig(file).config }))
  .filter((p) => p.config.backend.type === "verl" && verlRefusals(p.config).length === 0);

describe("python -m verl.trainer.main_ppo --cfg job", () => {
  it("exits 0 with the compiled overrides of every veRL RL preset", { timeout: 1_800_000 }, async () => {
    expect(presets.length).toBeGreaterThanOrEqual(30);
    const failures: string[] = [];
    const queue = [...presets];
    // Two at a time: each is a Python process importing veRL (~10 s on an idle core).
    await Promise.all(
      [0, 1].map(async () => {
        for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
          const launch = compileVerl(p.config, "runs/cfg-job");
          const r = await execa(verlPython(), [...launch.argv, "--cfg", "job"], {
            env: verlEnv(),
            reject: false,
            timeout: 300_000,
          });
          if (r.exitCode !== 0 || !/trainer_mode: still3/.test(r.stdout)) {
            failures.push(`${p.file}: exit ${r.exitCode}\n${r.stderr.split("\n").slice(-5).join("\n")}`);
          }
        }
      }),
    );
    expect(failures).toEqual([]);
  });
});

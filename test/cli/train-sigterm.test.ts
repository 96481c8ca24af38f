import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listCheckpoints } from "../../src/train/checkpoint.js";
import { runCli } from "../helpers/cli.js";

/** A scheduler's stop (Ray's `job stop`, Kubernetes, SLURM) is SIGTERM: `still train` takes it as Ctrl-C. */

const root = mkdtempSync(path.join(tmpdir(), "still-sigterm-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const steps = (runDir: string) => {
  const file = path.join(runDir, "metrics.jsonl");
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "").length
    : 0;
};

describe("still train on SIGTERM", () => {
  it("finishes the step in flight, saves a checkpoint and says how to resume", async () => {
    const runDir = path.join(root, "run");
    const settings = [
      "sft=null",
      "algorithm.total_steps=200",
      "eval.before_train=false",
      "data.max_samples=64",
    ];
    const run = runCli([
      "train",
      "configs/demo.yaml",
      ...settings.flatMap((s) => ["--set", s]),
      "--out",
      runDir,
    ]);
    while (steps(runDir) < 1) await new Promise((r) => setTimeout(r, 100));
    process.emit("SIGTERM");
    const r = await run;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain("interrupt: finishing the current step, then saving a checkpoint");
    expect(r.stderr).toContain(`resume with: still train --resume ${runDir}`);
    const done = steps(runDir);
    expect(done).toBeLessThan(200);
    // The checkpoint is of the last step written.
    const newest = listCheckpoints(runDir).at(-1);
    expect(newest && Number(path.basename(newest).replace("step_", ""))).toBe(done);
  }, 300_000);
});

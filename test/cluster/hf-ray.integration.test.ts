import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBackend } from "../../src/backends/index.js";
import { loadConfig } from "../../src/config/index.js";
import { listCheckpoints } from "../../src/train/checkpoint.js";
import { runCli } from "../helpers/cli.js";
import { startRayHead, type TestRayHead } from "../helpers/ray.js";
import { requireVenv } from "../helpers/venv.js";

/**
 * The built-in engine as a Ray job on a real local Ray head (ray comes from the veRL venv, .venv-verl): the
 * shortened demo runs to the end on Ray with the metrics of the same run done locally, Ctrl-C stops the job,
 * and rerunning the command resumes it.
 */

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ray = path.join(repo, ".venv-verl/bin/ray");

/** The demo, a couple of GRPO steps on one thread, no SFT, a small held-out set. */
const SHORT = [
  "sft=null",
  "algorithm.total_steps=2",
  "eval.before_train=false",
  "data.max_samples=64",
  "backend.hf.threads=1",
];
const set = (extra: string[] = []) => [...SHORT, ...extra].flatMap((s) => ["--set", s]);

const metricsWithoutTime = (runDir: string) =>
  readFileSync(path.join(runDir, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => Object.fromEntries(Object.entries(JSON.parse(l)).filter(([k]) => !k.startsWith("time/"))));

let root = "";
let address = "";
let head: TestRayHead | undefined;

describe("still train on a local Ray head (backend hf)", () => {
  beforeAll(async () => {
    requireVenv(ray, "setup:verl");
    root = mkdtempSync(path.join(tmpdir(), "still-hf-ray-"));
    // The job carries the built package.
    await execa("npm", ["run", "build"], { cwd: repo });
    head = await startRayHead(ray, 2);
    address = head.address;
  }, 300_000);

  afterAll(async () => {
    await head?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it("runs the shortened demo to the end as a Ray job, with the metrics of a local run", async () => {
    const local = path.join(root, "local");
    const onRay = path.join(root, "ray");
    const l = await runCli(["train", "configs/demo.yaml", ...set(), "--out", local]);
    expect(l.code, l.stderr).toBe(0);
    const r = await runCli([
      "train",
      "configs/demo.yaml",
      ...set(["cluster.type=ray", `cluster.address=${address}`]),
      "--out",
      onRay,
    ]);
    expect(r.code, r.stderr).toBe(0);
    // Streamed back: the job's own progress lines and the notices, then where the run is.
    expect(r.stderr).toMatch(/step 2\/2/);
    expect(r.stderr).toContain("eval.every_steps: 25 is past the run's 2 steps");
    expect(r.stderr).toMatch(new RegExp(`Ray job still-\\S+: SUCCEEDED; run directory: ${onRay}`));
    const rayMetrics = metricsWithoutTime(onRay);
    expect(rayMetrics.map((m) => m.step)).toEqual([1, 2]);
    expect(rayMetrics).toEqual(metricsWithoutTime(local));
    expect(existsSync(path.join(onRay, "report.html"))).toBe(true);
  }, 600_000);

  it("stops the job on Ctrl-C with a checkpoint; rerunning the same command resumes it to the metrics of an uninterrupted run", async () => {
    // The demo starts fresh on a rerun (checkpoint.resume: never); a user who wants resuming sets auto.
    const steps = ["algorithm.total_steps=40", "checkpoint.resume=auto"];
    const runDir = path.join(root, "stopped");
    const { config } = loadConfig(path.join(repo, "configs/demo.yaml"), {
      set: [
        ...SHORT.filter((s) => !s.startsWith("algorithm.total_steps")),
        ...steps,
        "cluster.type=ray",
        `cluster.address=${address}`,
      ],
    });
    const controller = new AbortController();
    const logs: string[] = [];
    const result = await getBackend("hf").run({
      config,
      runDir,
      resume: false,
      signal: controller.signal,
      progress: {
        step() {},
        log: (line) => {
          logs.push(line);
          if (/\bstep 1\/\d+/.test(line)) controller.abort();
        },
        close() {},
      },
    });
    expect(result.interrupted).toBe(true);
    expect(logs.join("\n")).toMatch(/Ray job still-\S+: (STOPPED|FAILED)/);
    const jobs = await execa(ray, ["job", "list", "--address", address]);
    expect(jobs.stdout).not.toMatch(/status=<JobStatus\.RUNNING/);
    const stoppedAt = metricsWithoutTime(runDir).length;
    expect(stoppedAt).toBeLessThan(40);
    // Ray's stop reached the job's still train as a Ctrl-C: it checkpointed the last step it wrote.
    expect(
      listCheckpoints(runDir).map((c) => path.basename(c)),
      logs.join("\n"),
    ).toContain(`step_${String(stoppedAt).padStart(6, "0")}`);

    const rerun = ["train", "configs/demo.yaml", "--out", runDir];
    const r = await runCli([...rerun, ...set([...steps, "cluster.type=ray", `cluster.address=${address}`])]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`the job resumes the run from its newest intact checkpoint in ${runDir}`);
    expect(r.stderr).toMatch(/resumed from \S+ \(step \d+\)/);
    const local = path.join(root, "uninterrupted");
    const l = await runCli(["train", "configs/demo.yaml", ...set(steps), "--out", local]);
    expect(l.code, l.stderr).toBe(0);
    const resumed = metricsWithoutTime(runDir);
    expect(resumed.map((m) => m.step)).toEqual([...Array(40).keys()].map((i) => i + 1));
    expect(resumed).toEqual(metricsWithoutTime(local));
  }, 900_000);
});

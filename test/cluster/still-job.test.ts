import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { jobFailure, jobScript, stageJob } from "../../src/cluster/still-job.js";
import { loadConfig, type RunConfig, runConfigSchema } from "../../src/config/index.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), "still-job-unit-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("jobScript", () => {
  it("runs still in the shell's place, so Ray's SIGTERM reaches it (still train checkpoints on it)", async () => {
    const dir = tmp();
    // A stand-in for `node bin/still.js` that says who it is and records the signal it gets.
    writeFileSync(
      path.join(dir, "fake.mjs"),
      "process.on('SIGTERM', () => { console.log('got-TERM'); process.exit(143); });\n" +
        "console.log('pid ' + process.pid);\nsetInterval(() => {}, 1000);\n",
    );
    const script = jobScript(["train", "config.yaml", "--out", "/runs/it's"])
      .replace(/^npm ci .*$/m, "true")
      .replace(`node bin/still.js train config.yaml --out '/runs/it'"'"'s'`, "node fake.mjs");
    expect(script).toContain("exec node fake.mjs");
    const job = execa("bash", ["-c", script], { cwd: dir, reject: false, timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 1000));
    job.kill("SIGTERM");
    const r = await job;
    expect(r.stdout).toContain(`pid ${job.pid}`);
    expect(r.stdout).toContain("got-TERM");
    expect(r.exitCode).toBe(143);
  });
});

describe("stageJob", () => {
  it("carries the package and the config with its files, run locally in the job", () => {
    if (!existsSync(path.join(__dirname, "../../dist/cli/main.js"))) {
      throw new Error("npm run build first: the job carries the built package");
    }
    const dir = tmp();
    writeFileSync(path.join(dir, "train.jsonl"), '{"problem":"1+1","answer":"2"}\n');
    writeFileSync(path.join(dir, "reward.ts"), "export default () => 1;\n");
    writeFileSync(
      path.join(dir, "run.yaml"),
      [
        "model: { path: tiny:qwen2 }",
        "data: { train_files: [train.jsonl], eval_files: ['synthetic:max3/test'] }",
        "rewards: { components: [{ name: custom, path: reward.ts }] }",
        "cluster: { type: ray, address: http://127.0.0.1:8265 }",
      ].join("\n"),
    );
    const { config } = loadConfig(path.join(dir, "run.yaml"), { env: {} });
    const work = tmp();
    stageJob(config, work);
    for (const f of [
      "package.json",
      "package-lock.json",
      "bin/still.js",
      "dist/cli/main.js",
      "python/still_rl",
    ]) {
      expect(existsSync(path.join(work, f)), f).toBe(true);
    }
    const staged = runConfigSchema.parse(
      parse(readFileSync(path.join(work, "config.yaml"), "utf8")),
    ) as RunConfig;
    expect(staged.cluster).toEqual({ type: "local" });
    expect(staged.data.eval_files).toEqual(["synthetic:max3/test"]);
    const [train] = staged.data.train_files;
    expect(readFileSync(path.join(work, train!), "utf8")).toContain("1+1");
    const reward = staged.rewards.components[0]!;
    expect(reward.name === "custom" && readFileSync(path.join(work, reward.path), "utf8")).toContain(
      "export default",
    );
  });
});

describe("jobFailure", () => {
  const job = {
    submissionId: "still-x",
    status: "FAILED" as const,
    message: "Job entrypoint command failed",
  };
  it("names the job and gives the error still printed in it", () => {
    const lines = [
      "Running entrypoint",
      "still: runs/x holds an evaluation with other settings",
      "INFO cli.py:1 -- x",
    ];
    expect(jobFailure("http://h:8265", { ...job, lines })).toBe(
      "Ray job still-x on http://h:8265: FAILED (Job entrypoint command failed): runs/x holds an evaluation with other settings",
    );
  });
  it("or the end of the job's log", () => {
    const lines = ["a", "Traceback (most recent call last):", "KeyError: 'x'"];
    expect(jobFailure("http://h:8265", { ...job, message: "", lines })).toBe(
      "Ray job still-x on http://h:8265: FAILED\n  | a\n  | Traceback (most recent call last):\n  | KeyError: 'x'",
    );
  });
});

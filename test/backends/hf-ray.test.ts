import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { jobScript, parseDoneLine, stageJob } from "../../src/backends/hf/ray.js";
import { loadConfig, type RunConfig, runConfigSchema } from "../../src/config/index.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), "still-hf-ray-unit-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("parseDoneLine", () => {
  it.each([
    [
      "done: step 2/2 in 14 s; held-out accuracy after cold start n/a, final 0.125",
      { step: 2, totalSteps: 2, interrupted: false, wallS: 14, evalFinal: 0.125 },
    ],
    [
      "interrupted: step 1/200 in 9 s; held-out accuracy after cold start 0.300, final n/a",
      { step: 1, totalSteps: 200, interrupted: true, wallS: 9, evalAfterColdStart: 0.3 },
    ],
  ])("%s", (line, expected) => {
    expect(parseDoneLine(["step 1/2 reward 0.1", line, "report: x"])).toMatchObject(expected);
  });
  it("is null when the job never printed its result", () => {
    expect(parseDoneLine(["step 1/2 reward 0.1", "Traceback"])).toBeNull();
  });
});

describe("jobScript", () => {
  it("passes Ray's SIGTERM on to still train as SIGINT (checkpoint at a step boundary)", async () => {
    const dir = tmp();
    // A stand-in for `node bin/still.js` and `npm` that records the signal it gets.
    writeFileSync(
      path.join(dir, "fake.mjs"),
      "process.on('SIGINT', () => { console.log('got-INT'); process.exit(130); });\n" +
        "console.log('started');\nsetInterval(() => {}, 1000);\n",
    );
    const script = jobScript("/runs/it's")
      .replace(/^npm ci .*$/m, "true")
      .replace("node bin/still.js train config.yaml --out '/runs/it'\\''s'", "node fake.mjs");
    expect(script).toContain("node fake.mjs &");
    const job = execa("bash", ["-c", script], { cwd: dir, reject: false, timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 1000));
    job.kill("SIGTERM");
    const r = await job;
    expect(r.stdout).toContain("started");
    expect(r.stdout).toContain("got-INT");
    expect(r.exitCode).toBe(130);
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

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTinyModel } from "../../src/engines/tiny.js";
import { TINY_PRESETS } from "../../src/engines/tiny-presets.js";
import { runCli } from "../helpers/cli.js";
import { startRayHead, type TestRayHead } from "../helpers/ray.js";
import { requireVenv } from "../helpers/venv.js";

/**
 * `still eval` as a Ray job on a real local Ray head (ray from the veRL venv, .venv-verl), CPU only: the job
 * runs to the end and writes the rows and summary of the same evaluation run locally (sampling is seeded);
 * Ctrl-C stops the job and a rerun resumes it; an unreachable head is one line and exit 1.
 */

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ray = path.join(repo, ".venv-verl/bin/ray");

const root = mkdtempSync(path.join(tmpdir(), "still-eval-ray-"));
const model = path.join(root, "model");
const config = path.join(root, "eval.yaml");
let address = "";
let head: TestRayHead | undefined;

const digits = Array.from({ length: 6 }, (_, i) => ({
  id: `d${i}`,
  problem: `What is ${i} + 1?`,
  answer: String(i + 1),
}));

/** The config's two benchmarks (sampled and greedy) and a bundled one, cut short. */
const ARGS = ["--benchmarks", "digits,digits_greedy,math500", "--limit", "4", "--batch-size", "2"];
const onRay = (extra: string[] = []) =>
  ["cluster.type=ray", `cluster.address=${address}`, ...extra].flatMap((s) => ["--set", s]);

const rowsOf = (out: string) =>
  readFileSync(path.join(out, "samples.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
const summaryOf = (out: string) => JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8"));

describe("still eval on a local Ray head", () => {
  beforeAll(async () => {
    requireVenv(ray, "setup:verl");
    // The job carries the built package.
    await execa("npm", ["run", "build"], { cwd: repo });
    await buildTinyModel(model, { ...TINY_PRESETS["qwen2-micro"], seed: 3 });
    writeFileSync(path.join(root, "digits.jsonl"), digits.map((r) => `${JSON.stringify(r)}\n`).join(""));
    writeFileSync(
      config,
      [
        "name: eval-ray-test",
        `model: { path: ${model} }`,
        "backend: { hf: { device: cpu, threads: 1 } }",
        "eval:",
        "  sampling: { n: 4, temperature: 1.0, top_p: 1.0, max_tokens: 48 }",
        "  k: [1, 2, 4]",
        "  benchmarks:",
        "    - { name: digits, file: digits.jsonl }",
        "    - { name: digits_greedy, file: digits.jsonl, sampling: { greedy: true } }",
        "",
      ].join("\n"),
    );
    head = await startRayHead(ray, 2);
    address = head.address;
  }, 400_000);

  afterAll(async () => {
    await head?.stop();
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it("runs the evaluation to the end as a Ray job, with the rows and summary of a local run", async () => {
    const local = path.join(root, "local");
    const remote = path.join(root, "ray");
    const l = await runCli(["eval", config, ...ARGS, "--out", local]);
    expect(l.code, l.stderr).toBe(0);
    const r = await runCli(["eval", config, ...ARGS, ...onRay(), "--out", remote]);
    expect(r.code, r.stderr).toBe(0);
    // Streamed back: the job's engine and progress lines; then where the output is.
    expect(r.stderr).toMatch(
      new RegExp(
        `submitted the evaluation \\(output ${remote}\\) to the Ray cluster at ${address} as job still-`,
      ),
    );
    expect(r.stderr).toMatch(/starting the HF engine on \S+/);
    expect(r.stderr).toMatch(/eval: 36\/36 samples 100%/);
    expect(r.stderr).toMatch(
      new RegExp(
        `Ray job still-\\S+: SUCCEEDED; rows: ${remote}/samples.jsonl, summary: ${remote}/summary.json\\n`,
      ),
    );
    // The table printed here is the local run's.
    expect(r.stdout).toBe(l.stdout);
    const [localSummary, raySummary] = [summaryOf(local), summaryOf(remote)];
    expect(raySummary.benchmarks.map((b: { benchmark: string }) => b.benchmark)).toEqual([
      "digits",
      "digits_greedy",
      "math500",
    ]);
    expect(raySummary.benchmarks).toEqual(localSummary.benchmarks);
    expect(rowsOf(remote)).toEqual(rowsOf(local));
  }, 600_000);

  it("stops the job on Ctrl-C (abort); the same command resumes it to the local summary", async () => {
    // 150 problems x 4 samples of the bundled MATH-500, one problem a unit: long enough to stop midway.
    const args = ["--benchmarks", "math500", "--limit", "150", "--batch-size", "1"];
    const out = path.join(root, "stopped");
    // The CLI as a child process, to send it Ctrl-C (SIGINT) once the job has written rows.
    const child = execa(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(repo, "test/eval/cli-entry.ts"),
        "eval",
        config,
        ...args,
        ...onRay(),
        "--out",
        out,
      ],
      { reject: false, cwd: repo, all: true, buffer: true },
    );
    let sent = false;
    child.stderr?.on("data", (chunk: Buffer) => {
      if (!sent && /\beval: [1-9]\d*\/\d+ samples/.test(String(chunk))) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    const stopped = await child;
    expect(sent, stopped.all).toBe(true);
    expect(stopped.exitCode, stopped.all).toBe(130);
    expect(stopped.stderr).toContain("interrupt: stopping the Ray job");
    expect(stopped.stderr).toMatch(
      new RegExp(
        `Ray job still-\\S+: stopped; the rows written so far are in ${out}: rerun the same command to resume`,
      ),
    );
    const jobs = await execa(ray, ["job", "list", "--address", address]);
    expect(jobs.stdout).not.toMatch(/status=<JobStatus\.RUNNING/);
    const kept = existsSync(path.join(out, "samples.jsonl")) ? rowsOf(out).length : 0;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(600);

    const resumed = await runCli(["eval", config, ...args, ...onRay(), "--out", out]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`eval: ${kept}/600 samples`));
    const local = path.join(root, "local-600");
    const l = await runCli(["eval", config, ...args, "--out", local]);
    expect(l.code, l.stderr).toBe(0);
    expect(summaryOf(out).benchmarks).toEqual(summaryOf(local).benchmarks);
    expect(rowsOf(out)).toEqual(rowsOf(local));
  }, 600_000);

  it("an unreachable Ray head is one line and exit 1", async () => {
    const r = await runCli([
      "eval",
      config,
      "--set",
      "cluster.type=ray",
      "--set",
      "cluster.address=http://127.0.0.1:9",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^still: no Ray job server answers at http:\/\/127\.0\.0\.1:9: start the head[^\n]*\n$/,
    );
  }, 120_000);
});

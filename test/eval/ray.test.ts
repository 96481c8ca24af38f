import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { bundledFile } from "../../src/eval/from-config.js";
import { jobArgv, jobConfig } from "../../src/eval/ray.js";

/** What `still eval` with cluster.type: ray sends: the config with the chosen benchmarks, and the same options. */

const dir = mkdtempSync(path.join(tmpdir(), "still-eval-ray-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, "digits.jsonl"), '{"problem":"1+1","answer":"2"}\n');
writeFileSync(path.join(dir, "more.jsonl"), '{"problem":"2+2","answer":"4"}\n');
writeFileSync(
  path.join(dir, "eval.yaml"),
  [
    "model: { path: tiny:qwen2-micro }",
    "eval:",
    "  benchmarks:",
    "    - { name: digits, file: digits.jsonl, sampling: { greedy: true } }",
    "    - { name: more, file: more.jsonl }",
    "cluster: { type: ray, address: http://127.0.0.1:8265 }",
  ].join("\n"),
);
const { config } = loadConfig(path.join(dir, "eval.yaml"), { env: {} });

describe("jobConfig", () => {
  it("keeps the config's benchmarks, or only those named (bundled ones included), with absolute files", () => {
    expect(jobConfig(config, undefined).eval.benchmarks).toEqual(config.eval.benchmarks);
    const chosen = jobConfig(config, ["more", "aime24"]).eval.benchmarks;
    expect(chosen).toEqual([
      { name: "more", file: path.join(dir, "more.jsonl"), tools: true },
      { name: "aime24", file: bundledFile("aime24"), tools: true },
    ]);
    expect(jobConfig(config, undefined).model.path).toBe("tiny:qwen2-micro");
    // A file named on the command line, relative to the current directory.
    const relative = path.relative(process.cwd(), path.join(dir, "more.jsonl"));
    expect(jobConfig(config, [relative]).eval.benchmarks).toEqual([
      { name: "more", file: path.join(dir, "more.jsonl"), tools: true },
    ]);
  });

  it("refuses an unknown benchmark here, before anything is submitted", () => {
    expect(() => jobConfig(config, ["nope"])).toThrow(
      /--benchmarks: "nope" is not a benchmark of the config/,
    );
  });
});

describe("jobArgv", () => {
  const base = { api: "completions" as const, concurrency: 8, retries: 3, timeout: 600, batchSize: 8 };
  it("runs still eval on the staged config with an absolute output directory and the same options", () => {
    expect(jobArgv({ ...base, outDir: "runs/eval/x", model: dir, limit: 5 })).toEqual([
      ...["eval", "config.yaml", "--out", path.resolve("runs/eval/x"), "--model", dir, "--limit", "5"],
      ...["--concurrency", "8", "--retries", "3", "--timeout", "600", "--batch-size", "8"],
    ]);
  });
  it("passes an endpoint and its served model name as they are", () => {
    const argv = jobArgv({ ...base, outDir: "/o", endpoint: "http://vllm:8000/v1", model: "m", api: "chat" });
    expect(argv.slice(4, 10)).toEqual(["--model", "m", "--endpoint", "http://vllm:8000/v1", "--api", "chat"]);
  });
});

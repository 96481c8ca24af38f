/**
 * `still eval` end to end with the built-in HF engine on a tiny random model (a real Python engine process):
 * rows and summary agree, a kill mid-eval followed by a rerun generates only what is missing and ends with the
 * uninterrupted run's summary, and a finished run is not regenerated.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTinyModel } from "../../src/engines/tiny.js";
import { TINY_PRESETS } from "../../src/engines/tiny-presets.js";
import { type EvalRow, summarize } from "../../src/eval/summary.js";
import { runCli } from "../helpers/cli.js";

const dir = mkdtempSync(path.join(tmpdir(), "still-eval-hf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = path.join(dir, "model");
const config = path.join(dir, "eval.yaml");

// Single-digit answers: the random model's bytes contain digits often enough that some samples are graded
// correct (the evaluation fallback takes the last number), so pass@k and maj@k are not all zero.
const digits = Array.from({ length: 6 }, (_, i) => ({
  id: `d${i}`,
  problem: `What is ${i} + 1?`,
  answer: String(i + 1),
}));

beforeAll(async () => {
  await buildTinyModel(model, { ...TINY_PRESETS["qwen2-micro"], seed: 3 });
  writeFileSync(path.join(dir, "digits.jsonl"), digits.map((r) => `${JSON.stringify(r)}\n`).join(""));
  writeFileSync(
    config,
    [
      "name: eval-hf-test",
      `model: { path: ${model} }`,
      "backend: { hf: { device: cpu, threads: 1 } }",
      "eval:",
      "  sampling: { n: 4, temperature: 1.0, top_p: 1.0, max_tokens: 48 }",
      "  k: [1, 2, 4]",
      "  benchmarks:",
      `    - { name: digits, file: ${path.join(dir, "digits.jsonl")} }`,
      `    - { name: digits_greedy, file: ${path.join(dir, "digits.jsonl")}, sampling: { greedy: true } }`,
      "",
    ].join("\n"),
  );
}, 120_000);

const rowsOf = (out: string): EvalRow[] =>
  readFileSync(path.join(out, "samples.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
const summaryOf = (out: string) => JSON.parse(readFileSync(path.join(out, "summary.json"), "utf8"));
const sortRows = (rows: EvalRow[]) =>
  [...rows].sort(
    (a, b) => a.benchmark.localeCompare(b.benchmark) || a.problem - b.problem || a.sample - b.sample,
  );

describe("still eval with the HF engine", () => {
  const full = path.join(dir, "full");

  it("writes one graded row per (problem, sample), a table and summary.json", async () => {
    const r = await runCli(["eval", config, "--out", full, "--batch-size", "2"]);
    expect(r.stderr).not.toContain("Error");
    expect(r.code).toBe(0);
    const rows = rowsOf(full);
    expect(rows).toHaveLength(6 * 4 + 6);
    for (const row of rows) {
      expect(["stop", "length"]).toContain(row.finish);
      expect(row.tokens).toBeGreaterThan(0);
      expect(row.tokens).toBeLessThanOrEqual(48);
      expect(row.gold).toBe(digits[row.problem]!.answer);
      expect(typeof row.reason).toBe("string");
    }
    const summary = summaryOf(full);
    expect(summary.benchmarks.map((s: { benchmark: string }) => s.benchmark)).toEqual([
      "digits",
      "digits_greedy",
    ]);
    // The summary is what the rows say (JSON turns NaN into null).
    expect(summary.benchmarks).toEqual(JSON.parse(JSON.stringify(summarize(sortRows(rows), [1, 2, 4]))));
    const [sampled, greedy] = summary.benchmarks;
    expect(sampled.samples).toBe(4);
    expect(Object.keys(sampled.pass_at_k)).toEqual(["pass@1", "pass@2", "pass@4"]);
    expect(greedy.samples).toBe(1);
    expect(Object.keys(greedy.pass_at_k)).toEqual(["pass@1"]);
    expect(sampled.pass_at_k["pass@4"]).toBeGreaterThanOrEqual(sampled.pass_at_k["pass@1"]);
    expect(r.stdout).toMatch(/\| digits +\| +6 \| +4 \|/);
    expect(r.stdout).toContain("pass@4");
  }, 300_000);

  it("reruns nothing when the evaluation is complete", async () => {
    const before = readFileSync(path.join(full, "samples.jsonl"), "utf8");
    const r = await runCli(["eval", config, "--out", full, "--batch-size", "2"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("0 samples generated now");
    expect(readFileSync(path.join(full, "samples.jsonl"), "utf8")).toBe(before);
  }, 300_000);

  it("resumes after a kill mid-eval: only the missing rows are generated, the summary is the same", async () => {
    const out = path.join(dir, "killed");
    const child = execa(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(import.meta.dirname, "cli-entry.ts"),
        "eval",
        config,
        "--out",
        out,
        "--batch-size",
        "2",
      ],
      { reject: false },
    );
    const samples = path.join(out, "samples.jsonl");
    const lines = () => (existsSync(samples) ? readFileSync(samples, "utf8").split("\n").length - 1 : 0);
    while (lines() < 8 && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGKILL");
    await child;
    const before = lines();
    expect(before).toBeGreaterThanOrEqual(8);
    expect(before).toBeLessThan(30);

    const r = await runCli(["eval", config, "--out", out, "--batch-size", "2"]);
    expect(r.code).toBe(0);
    const generated = Number(/(\d+) samples generated now/.exec(r.stderr)?.[1]);
    expect(generated).toBeGreaterThan(0);
    expect(generated).toBeLessThanOrEqual(30 - before + 8); // a unit cut by the kill is redone whole
    expect(summaryOf(out).benchmarks).toEqual(summaryOf(full).benchmarks);
    expect(sortRows(rowsOf(out))).toEqual(sortRows(rowsOf(full)));
  }, 300_000);

  it("refuses to resume into a directory evaluated with other settings", async () => {
    const r = await runCli([
      "eval",
      config,
      "--out",
      full,
      "--batch-size",
      "2",
      "--set",
      "eval.sampling.n=2",
      "--set",
      "eval.k=[1]",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("holds an evaluation with other settings");
  });
});

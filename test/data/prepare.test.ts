/**
 * `still data prepare` on a crafted file with rows for every filter, duplicates and benchmark copies: each
 * step's removals are asserted by id; the outputs in each format read back (veRL Parquet by veRL's own
 * RLHFDataset `npm run setup:verl`); a datasets folder is an input.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadQa } from "../../src/data/dataset.js";
import { readParquet } from "../../src/data/parquet.js";
import { buildTinyModel } from "../../src/engines/tiny.js";
import { TINY_PRESETS } from "../../src/engines/tiny-presets.js";
import { runCli } from "../helpers/cli.js";
import { requireVenv } from "../helpers/venv.js";

const dir = mkdtempSync(path.join(tmpdir(), "still-prepare-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const math500First = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "../../data/benchmarks/math500.jsonl"), "utf8").split("\n")[0]!,
);

const rect =
  "A rectangle has a perimeter of 30 units and its length is twice its width. What is the area of the rectangle in square units?";

/** [id, problem, answer, the step expected to remove it (null: kept)] */
const ROWS: [string, string, string | null, string | null][] = [
  ["keep1", "What is the remainder when $2^{10}$ is divided by 7?", "2", null],
  ["keep2", "Solve for $x$: $3x + 5 = 20$.", "5", null],
  ["keep3", "Compute $\\frac{1}{2} + \\frac{1}{3}$.", "\\frac{5}{6}", null],
  ["keep4", rect, "50", null],
  ["keep5", "Is 7 prime? Answer yes or no.", "yes", null],
  ["noanswer", "What is $1+1$?", null, "missing_fields"],
  ["mc1", "Which number is prime? (A) 4 (B) 6 (C) 7 (D) 9", "C", "multiple_choice"],
  ["mc2", "What is $2+2$?\nA. 3\nB. 4\nC. 5", "4", "multiple_choice"],
  ["proof1", "Prove that there are infinitely many primes.", "Proof", "proof"],
  ["proof2", "Show that $n^2+n$ is even for every integer $n$.", "n^2+n is even", "proof"],
  ["multi1", "Let $f(x)=x^2$. (a) Find $f(2)$. (b) Find $f(3)$.", "4, 9", "multi_part"],
  [
    "multi2",
    "A box has 3 red balls. (1) How many ways to pick one? (2) How many to pick two?",
    "3; 3",
    "multi_part",
  ],
  [
    "open1",
    "Explain why the derivative of a constant is zero.",
    "Because a constant does not change",
    "open_ended",
  ],
  [
    "open2",
    "What is a group in abstract algebra?",
    "a set with an associative operation having identity and inverses",
    "open_ended",
  ],
  [
    "unparse1",
    "Find all such polynomials.",
    "\\{ f \\in \\mathbb{R}[x] \\colon 2 \\mid \\deg f + 1 \\}",
    "unparseable_answer",
  ],
  ["unparse2", "Give the map.", "x \\mapsto", "unparseable_answer"],
  ["dup1", "what is the REMAINDER when $2^{10}$ is divided by 7 ?", "2", "exact_duplicate"],
  ["near1", `${rect} Give a number.`, "50", "near_duplicate"],
  ["bench1", `Problem: ${math500First.problem}`, math500First.answer, "benchmark_overlap"],
];

function writeInput(file: string): void {
  writeFileSync(
    file,
    ROWS.map(([id, problem, answer]) =>
      JSON.stringify({ id, problem, ...(answer === null ? {} : { answer }), data_source: "crafted" }),
    ).join("\n"),
  );
}

const expectedBy = (step: string | null) => ROWS.filter((r) => r[3] === step).map((r) => r[0]);

describe("still data prepare", () => {
  const input = path.join(dir, "raw.jsonl");
  writeInput(input);

  it("removes each crafted row at its step, reports counts and examples, and writes veRL Parquet", async () => {
    const out = path.join(dir, "train.parquet");
    const r = await runCli(["data", "prepare", "--input", input, "--output", out]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(`${out}.report.json`, "utf8"));
    expect(report.read).toBe(ROWS.length);
    const steps = report.steps as {
      step: string;
      removed: number;
      examples: { id: string; why: string }[];
    }[];
    expect(steps.map((s) => s.step)).toEqual([
      "missing_fields",
      "multiple_choice",
      "proof",
      "multi_part",
      "open_ended",
      "unparseable_answer",
      "exact_duplicate",
      "near_duplicate",
      "benchmark_overlap",
    ]);
    for (const s of steps) {
      const expected = expectedBy(s.step);
      expect({ step: s.step, removed: s.removed }).toEqual({ step: s.step, removed: expected.length });
      if (s.step !== "missing_fields") expect(s.examples.map((e) => e.id)).toEqual(expected);
    }
    expect(steps.find((s) => s.step === "exact_duplicate")?.examples[0]?.why).toBe("same text as keep1");
    expect(steps.find((s) => s.step === "near_duplicate")?.examples[0]?.why).toMatch(
      /% shingle overlap with keep4$/,
    );
    expect(steps.find((s) => s.step === "benchmark_overlap")?.examples[0]?.why).toContain(
      `math500 ${math500First.id}`,
    );
    expect(report.kept).toBe(expectedBy(null).length);
    expect(r.stdout).toContain("| kept");
    expect(r.stdout).toMatch(/\| multiple_choice +\| +2 \|/);

    const rows = readParquet(out);
    expect(rows.map((x) => (x.extra_info as { id: string }).id)).toEqual(expectedBy(null));
    expect(rows[2]).toEqual({
      data_source: "crafted",
      prompt: [{ role: "user", content: "Compute $\\frac{1}{2} + \\frac{1}{3}$." }],
      ability: "math",
      reward_model: { style: "rule", ground_truth: "\\frac{5}{6}" },
      extra_info: { index: 2, split: "train", id: "keep3" },
    });
  });

  it("keeps what a disabled step would remove, and a stricter threshold keeps the near duplicate", async () => {
    const cfg = path.join(dir, "prepare.yaml");
    writeFileSync(
      cfg,
      [
        "input: [raw.jsonl]",
        "filters: [proof]",
        "dedup: { exact: true, near: true, threshold: 0.95 }",
        "decontaminate: false",
        "format: still",
        "",
      ].join("\n"),
    );
    const out = path.join(dir, "still.jsonl");
    const r = await runCli(["data", "prepare", cfg, "--output", out]);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(`${out}.report.json`, "utf8"));
    expect(report.steps.map((s: { step: string }) => s.step)).toEqual([
      "missing_fields",
      "proof",
      "exact_duplicate",
      "near_duplicate",
    ]);
    const kept = loadQa([out], { promptKey: "problem", answerKey: "answer", sourceKey: "data_source" });
    const ids = kept.map((q) => q.extra?.id);
    expect(ids).toContain("mc1");
    expect(ids).toContain("near1");
    expect(ids).toContain("bench1");
    expect(ids).not.toContain("proof1");
    expect(ids).not.toContain("dup1");
  });

  it("writes OpenRLHF JSONL and reads a Hugging Face datasets folder", async () => {
    const out = path.join(dir, "orl.jsonl");
    const folder = path.join(import.meta.dirname, "fixtures", "hf-dataset-dict");
    const r = await runCli([
      "data",
      "prepare",
      "--input",
      folder,
      "--output",
      out,
      "--format",
      "openrlhf",
      "--source-key",
      "source",
    ]);
    expect(r.code).toBe(0);
    const rows = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toEqual([
      { prompt: "What is $3 \\times 4$?", label: "12", datasource: "toy", id: `${folder}:1` },
      {
        prompt: "Compute $\\frac{1}{2}+\\frac{1}{3}$.",
        label: "\\frac{5}{6}",
        datasource: "toy",
        id: `${folder}:2`,
      },
    ]);
    const test = await runCli(["data", "prepare", "--input", folder, "--split", "nope", "--output", out]);
    expect(test.code).toBe(1);
    expect(test.stderr).toContain('no split "nope" (splits: train, test)');
  });

  it("names the YAML path of a bad config value", async () => {
    const cfg = path.join(dir, "bad.yaml");
    writeFileSync(cfg, "input: [raw.jsonl]\ndedup: { threshold: 2 }\n");
    const r = await runCli(["data", "prepare", cfg, "--output", path.join(dir, "x.parquet")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${cfg}: dedup.threshold:`);
  });
});

const verlPython = path.resolve(".venv-verl", "bin", "python");

describe("veRL reads the prepared Parquet (.venv-verl from npm run setup:verl)", () => {
  beforeAll(() => requireVenv(verlPython, "setup:verl"));
  it("RLHFDataset yields the kept questions with their ground truths", async () => {
    const input = path.join(dir, "raw2.jsonl");
    writeInput(input);
    const out = path.join(dir, "for-verl.parquet");
    expect((await runCli(["data", "prepare", "--input", input, "--output", out])).code).toBe(0);
    const tokenizer = await buildTinyModel(path.join(dir, "tiny"));
    const items = path.join(dir, "items.jsonl");
    await execa(
      verlPython,
      [
        path.join(import.meta.dirname, "verl_rlhf_dataset.py"),
        tokenizer,
        out,
        path.join(dir, "verl-cache"),
        items,
      ],
      { env: { HF_HUB_OFFLINE: "1", HF_DATASETS_CACHE: path.join(dir, "hf-cache") } },
    );
    const got = readFileSync(items, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const kept = ROWS.filter((r) => r[3] === null);
    expect(got.map((g) => g.raw_prompt[0].content)).toEqual(kept.map((r) => r[1]));
    expect(got.map((g) => g.reward_model.ground_truth)).toEqual(kept.map((r) => r[2]));
    expect(got.map((g) => g.index)).toEqual(kept.map((_, i) => i));
  }, 180_000);
});

describe("still data prepare: difficulty filter by pass rate (HF engine, tiny model)", () => {
  it("drops the questions sampled answers always or never solve, as the pass-rate evaluation's rows say", async () => {
    const model = await buildTinyModel(path.join(dir, "difficulty-model"), {
      ...TINY_PRESETS["qwen2-micro"],
      seed: 11,
    });
    const runConfig = path.join(dir, "difficulty-run.yaml");
    writeFileSync(
      runConfig,
      [
        "name: difficulty",
        `model: { path: ${model} }`,
        "backend: { hf: { device: cpu, threads: 1 } }",
        "eval: { sampling: { temperature: 1.0, top_p: 1.0, max_tokens: 48 } }",
        "",
      ].join("\n"),
    );
    // Single-digit answers: the random model's last number sometimes matches, so pass rates vary.
    const input = path.join(dir, "digits.jsonl");
    writeFileSync(
      input,
      Array.from({ length: 8 }, (_, i) =>
        JSON.stringify({ id: `d${i}`, problem: `What is ${i} plus one?`, answer: String(i + 1) }),
      ).join("\n"),
    );
    const cfg = path.join(dir, "difficulty.yaml");
    writeFileSync(
      cfg,
      `filters: []\ndecontaminate: false\ndifficulty: { config: ${runConfig}, samples: 4 }\nformat: still\n`,
    );
    const out = path.join(dir, "difficulty.jsonl");
    const r = await runCli(["data", "prepare", cfg, "--input", input, "--output", out]);
    expect(r.code).toBe(0);
    const evalRows = readFileSync(path.join(`${out}.difficulty`, "eval", "samples.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { problem: number; correct: boolean });
    expect(evalRows).toHaveLength(8 * 4);
    const rate = (p: number) => evalRows.filter((x) => x.problem === p && x.correct).length / 4;
    const expectedKept = [...Array(8).keys()].filter((p) => rate(p) > 0 && rate(p) < 1).map((p) => `d${p}`);
    const kept = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l).id);
    expect(kept).toEqual(expectedKept);
    const report = JSON.parse(readFileSync(`${out}.report.json`, "utf8"));
    const step = report.steps.find((s: { step: string }) => s.step === "difficulty");
    expect(step.removed).toBe(8 - expectedKept.length);
    expect(step.removed).toBeGreaterThan(0);
  }, 300_000);
});

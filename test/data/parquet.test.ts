/**
 * Parquet in and out: nested veRL rows round-trip; a file pyarrow wrote (snappy, veRL's schema) reads; the
 * data loader takes .parquet; what we write is read back by veRL's own RLHFDataset (needs `.venv-verl`, made by
 * `npm run setup:verl`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadQa } from "../../src/data/dataset.js";
import { readParquet, writeParquet } from "../../src/data/parquet.js";
import { buildTinyModel } from "../../src/engines/tiny.js";
import { requireVenv } from "../helpers/venv.js";

const dir = mkdtempSync(path.join(tmpdir(), "still-parquet-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const verlRows = [
  {
    data_source: "math",
    prompt: [{ role: "user", content: "What is 1+1?" }],
    ability: "math",
    reward_model: { style: "rule", ground_truth: "2" },
    extra_info: { index: 0, split: "train", weight: 0.5, tags: ["a", "b"] },
  },
  {
    data_source: "aime",
    prompt: [
      { role: "system", content: "Think step by step." },
      { role: "user", content: "Find $x$ with $x^2=9$, $x>0$." },
    ],
    ability: "math",
    reward_model: { style: "rule", ground_truth: "3" },
    extra_info: { index: 1, split: "train", weight: null, tags: [] },
  },
];

describe("Parquet read/write", () => {
  it("round-trips nested veRL rows", () => {
    const f = path.join(dir, "verl.parquet");
    writeParquet(f, verlRows);
    expect(readParquet(f)).toEqual(verlRows);
  });

  it("fills a struct field absent from some rows with null and widens int to float", () => {
    const f = path.join(dir, "widen.parquet");
    writeParquet(f, [
      { x: { a: 1 }, y: 1 },
      { x: { b: "s" }, y: 2.5 },
    ]);
    expect(readParquet(f)).toEqual([
      { x: { a: 1, b: null }, y: 1 },
      { x: { a: null, b: "s" }, y: 2.5 },
    ]);
  });

  it("names a column whose rows disagree on its type", () => {
    expect(() => writeParquet(path.join(dir, "bad.parquet"), [{ r: { g: "2" } }, { r: { g: 2 } }])).toThrow(
      "column r.g: rows disagree on its type (string and int)",
    );
  });

  it("reads a snappy file pyarrow wrote with veRL's columns", () => {
    const rows = readParquet(path.join(import.meta.dirname, "fixtures", "verl-pyarrow.parquet"));
    expect(rows).toHaveLength(2);
    expect(rows[1]).toEqual({
      data_source: "DigitalLearningGmbH/MATH-lighteval",
      prompt: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Solve $x^2=4$ for $x>0$." },
      ],
      ability: "math",
      reward_model: { style: "rule", ground_truth: "2" },
      extra_info: { index: 1, split: "train" },
    });
  });

  it("says a non-Parquet file is not Parquet", () => {
    const f = path.join(dir, "fake.parquet");
    writeFileSync(f, '{"problem":"1+1"}\n');
    expect(() => readParquet(f)).toThrow(`${f}: not a readable Parquet file`);
  });
});

describe("data loader on Parquet", () => {
  it("reads veRL rows: the last user message is the question, a dotted key reaches the ground truth", () => {
    const f = path.join(dir, "train.parquet");
    writeParquet(f, verlRows);
    const records = loadQa([f], {
      promptKey: "prompt",
      answerKey: "reward_model.ground_truth",
      sourceKey: "data_source",
    });
    expect(records.map((r) => [r.question, r.answer, r.source])).toEqual([
      ["What is 1+1?", "2", "math"],
      ["Find $x$ with $x^2=9$, $x>0$.", "3", "aime"],
    ]);
    expect(records[0]?.extra?.extra_info).toEqual(verlRows[0]?.extra_info);
  });

  it("reads flat rows with the usual keys", () => {
    const f = path.join(dir, "flat.parquet");
    writeParquet(f, [{ problem: "1+1", answer: "2", level: 3 }]);
    expect(loadQa([f], { promptKey: "problem", answerKey: "answer", sourceKey: "data_source" })).toEqual([
      { question: "1+1", answer: "2", source: f, extra: { level: 3 } },
    ]);
  });
});

const verlPython = path.resolve(".venv-verl", "bin", "python");

describe("veRL reads what we write (.venv-verl from npm run setup:verl)", () => {
  beforeAll(() => requireVenv(verlPython, "setup:verl"));
  it("RLHFDataset yields our prompts, ground truths and extra_info", async () => {
    const tokenizer = await buildTinyModel(path.join(dir, "tiny"));
    const f = path.join(dir, "for-verl.parquet");
    writeParquet(f, verlRows);
    const out = path.join(dir, "verl-items.jsonl");
    const script = path.join(import.meta.dirname, "verl_rlhf_dataset.py");
    await execa(verlPython, [script, tokenizer, f, path.join(dir, "verl-cache"), out], {
      env: { HF_HUB_OFFLINE: "1", HF_DATASETS_CACHE: path.join(dir, "hf-cache") },
    });
    const items = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(items).toEqual(
      verlRows.map((r) => ({
        raw_prompt: r.prompt,
        data_source: r.data_source,
        reward_model: r.reward_model,
        extra_info: r.extra_info,
        index: r.extra_info.index,
      })),
    );
  }, 120_000);
});

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadQa, loadSft } from "../../src/data/dataset.js";
import { syntheticRecords } from "../../src/data/synthetic.js";
import { verify } from "../../src/verify/index.js";

const keys = { promptKey: "problem", answerKey: "answer", sourceKey: "data_source" };

describe("synthetic:max3", () => {
  const train = loadQa(["synthetic:max3/train"], keys);
  const test = loadQa(["synthetic:max3/test"], keys);
  const sft = loadSft(["synthetic:max3/sft"], "prompt", "response");

  it("splits the 1,000 questions 800/200 with no overlap", () => {
    expect(train.length).toBe(800);
    expect(test.length).toBe(200);
    const seen = new Set(train.map((r) => r.question));
    expect(test.filter((r) => seen.has(r.question))).toEqual([]);
    expect(new Set([...train, ...test].map((r) => r.question)).size).toBe(1000);
  });

  it.each([
    ["max of 3 9 2", "9"],
    ["max of 0 0 0", "0"],
    ["max of 7 1 7", "7"],
  ])("answers %s with %s", (question, answer) => {
    const all = [...train, ...test];
    expect(all.find((r) => r.question === question)?.answer).toBe(answer);
  });

  it("is the same every time", () => {
    expect(syntheticRecords("synthetic:max3/test")).toEqual(syntheticRecords("synthetic:max3/test"));
  });

  it("cold start data teaches the format with a naive rule, only on train questions", () => {
    const trainQs = new Set(train.map((r) => r.question));
    expect(sft.length).toBe(3200);
    expect(sft.every((p) => trainQs.has(p.prompt))).toBe(true);
    const boxed = sft.map((p) => /^\\boxed\{(\d)\}$/.exec(p.response)?.[1]);
    expect(boxed.every((d) => d !== undefined)).toBe(true);
    // Always a number of the list, the first one most often, and right only about a third of the time.
    sft.forEach((p, i) => {
      expect(p.prompt.split(" ").slice(2)).toContain(boxed[i]);
    });
    const first = sft.filter((p, i) => p.prompt.split(" ")[2] === boxed[i]).length / sft.length;
    const correct = sft.filter(
      (p, i) => Math.max(...p.prompt.split(" ").slice(2).map(Number)) === Number(boxed[i]),
    );
    expect(first).toBeGreaterThan(0.6);
    expect(correct.length / sft.length).toBeGreaterThan(0.3);
    expect(correct.length / sft.length).toBeLessThan(0.55);
  });

  it("gold answers pass the real verifier on a boxed response", () => {
    for (const r of test.slice(0, 20)) expect(verify(r.answer, `\\boxed{${r.answer}}`).correct).toBe(true);
  });

  it.each([
    ["synthetic:max3/validation", "splits train, test and sft"],
    ["synthetic:nope/train", "unknown synthetic source"],
    ["synthetic:max3", "unknown synthetic source"],
  ])("rejects %s", (source, message) => {
    expect(() => loadQa([source], keys)).toThrow(message);
  });

  it("refuses SFT pairs where questions are expected", () => {
    expect(() => loadQa(["synthetic:max3/sft"], keys)).toThrow("not questions");
  });
});

describe("JSONL data", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "still-data-"));
  it("reads questions with their keys and keeps the other fields", () => {
    const f = path.join(dir, "q.jsonl");
    writeFileSync(
      f,
      '{"problem":"1+1","answer":2,"data_source":"toy","level":3}\n\n{"problem":"2+2","answer":"4"}\n',
    );
    expect(loadQa([f], keys)).toEqual([
      { question: "1+1", answer: "2", source: "toy", extra: { level: 3 } },
      { question: "2+2", answer: "4", source: f, extra: {} },
    ]);
  });
  it.each([
    ['{"problem":"x"}\n', 'missing string field "answer"'],
    ["not json\n", ":1: not valid JSON"],
    ["[1]\n", "expected a JSON object"],
  ])("names the line of a bad row %#", (content, message) => {
    const f = path.join(dir, `bad${Math.random()}.jsonl`);
    writeFileSync(f, content);
    expect(() => loadQa([f], keys)).toThrow(message);
  });
  it("reads a file that starts with a UTF-8 byte-order mark (issue 13 item 13)", () => {
    const f = path.join(dir, "bom.jsonl");
    writeFileSync(f, '\uFEFF{"problem":"1+1","answer":"2"}\n{"problem":"2+2","answer":"4"}\n');
    expect(loadQa([f], keys).map((r) => r.answer)).toEqual(["2", "4"]);
  });
  it("names a missing file", () => {
    expect(() => loadSft([path.join(dir, "missing.jsonl")], "prompt", "response")).toThrow(
      "cannot read data file",
    );
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli as run } from "../helpers/cli.js";

const dir = mkdtempSync(path.join(tmpdir(), "still-verify-"));

describe("still verify", () => {
  it("grades one pair and prints the result as JSON", async () => {
    const r = await run(["verify", "--gold", "\\frac12", "--pred", "so $\\boxed{0.5}$"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ correct: true, extracted: "0.5", reason: "exact" });
  });

  it("grades an unboxed --pred as the reward does (no answer), or as a bare answer with --bare", async () => {
    const r = await run(["verify", "--gold", "7", "--pred", "so we get 7."]);
    expect(JSON.parse(r.stdout)).toEqual({ correct: false, extracted: null, reason: "no-answer" });
    const bare = await run(["verify", "--gold", "5", "--pred", "500", "--bare"]);
    expect(JSON.parse(bare.stdout)).toMatchObject({ correct: false, extracted: "500" });
    const unclosed = await run(["verify", "--gold", "3", "--pred", "\\boxed{3", "--bare"]);
    expect(JSON.parse(unclosed.stdout)).toMatchObject({ correct: false, extracted: null });
  });

  it("grades a JSONL file in order, keeps extra fields, and summarises on stderr", async () => {
    const input = path.join(dir, "in.jsonl");
    const output = path.join(dir, "out.jsonl");
    // Above the inline threshold, so the worker-thread pool does the grading.
    const rows = Array.from({ length: 300 }, (_, i) => ({
      id: i,
      gold: String(i),
      pred: `\\boxed{${i % 3 ? i : i + 1}}`,
    }));
    rows.push({ id: 300, gold: "1", pred: "no answer here, sorry" });
    writeFileSync(input, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n\n`);
    const r = await run(["verify", "--input", input, "--output", output, "--threads", "2", "--bare"]);
    expect(r.code).toBe(0);
    const got = readFileSync(output, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(got.map((g) => g.id)).toEqual(rows.map((x) => x.id));
    expect(got[1]).toEqual({
      id: 1,
      gold: "1",
      pred: "\\boxed{1}",
      correct: true,
      extracted: "1",
      reason: "identical",
    });
    expect(got[3]).toMatchObject({ correct: false, extracted: "4" });
    expect(got[300]).toMatchObject({ correct: false, extracted: "no answer here, sorry" });
    expect(r.stderr).toMatch(/^verified 301 lines: 200 correct \(66\.4%\), 0 without an answer/);
  });

  it("writes to stdout without --output", async () => {
    const input = path.join(dir, "small.jsonl");
    writeFileSync(input, '{"gold": "2", "pred": "\\\\boxed{2}", "k": "v"}\n');
    const r = await run(["verify", "--input", input]);
    expect(JSON.parse(r.stdout)).toEqual({
      gold: "2",
      pred: "\\boxed{2}",
      k: "v",
      correct: true,
      extracted: "2",
      reason: "identical",
    });
  });

  it.each([
    [
      '{"gold": "1", "pred": "1"}\n{"gold": "1", "pred": 1}\n',
      /bad\.jsonl:2: "pred" must be a string \(got number\)/,
    ],
    ['{"gold": "1", "pred": "1"}\n{oops\n', /bad\.jsonl:2: not valid JSON/],
    ["[1, 2]\n", /bad\.jsonl:1: expected a JSON object/],
    ['{"pred": "1"}\n', /bad\.jsonl:1: "gold" must be a string \(got nothing\)/],
  ])("names the bad line: %j", async (content, message) => {
    const input = path.join(dir, "bad.jsonl");
    writeFileSync(input, content);
    const r = await run(["verify", "--input", input]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });

  it.each([
    [["verify", "--gold", "1"], /give --gold and --pred, or --input/],
    [["verify", "--input", "x.jsonl", "--gold", "1"], /either --gold\/--pred or --input/],
    [["verify", "--input", path.join(dir, "missing.jsonl")], /cannot read .*missing\.jsonl/],
  ])("rejects bad usage %j", async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });
});

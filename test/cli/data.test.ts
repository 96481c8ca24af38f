import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "still-data-"));
const file = (name: string, lines: unknown[]) => {
  const p = path.join(dir, name);
  writeFileSync(p, lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n"));
  return p;
};
const read = (p: string) =>
  readFileSync(p, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe("still data inject-tools", () => {
  it("writes a continuation ending in a prefix and an opening fence for each long enough CoT", async () => {
    const cot = "<think>Let x=3. Wait, x=4. But y. Hmm, y=2. Alternatively z. Moreover w.</think> So 4.";
    const input = file("cots.jsonl", [
      { id: 1, response: cot },
      { id: 2, response: "<think>short. Wait.</think>" },
    ]);
    const output = path.join(dir, "requests.jsonl");
    const r = await runCli([
      "data",
      "inject-tools",
      "--input",
      input,
      "--output",
      output,
      "--prefix",
      "Let me code it.",
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("1 of 2 records cut");
    const [req, ...rest] = read(output);
    expect(rest).toEqual([]);
    expect(req.id).toBe(1);
    expect(req.continuation).toMatch(/^Let x=3\.\n\n[\s\S]*\n\nLet me code it\.\n```python$/);
  });

  it("names the line of bad input", async () => {
    const input = file("bad.jsonl", [{ response: "x" }, "{nope"]);
    const r = await runCli(["data", "inject-tools", "--input", input, "--output", path.join(dir, "o.jsonl")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.jsonl:2: not valid JSON/);
  });
});

describe("still data filter-tools", () => {
  it("keeps responses with a python block and a verified answer", async () => {
    const block = "```python\nprint(6*7)\n```\n```output\n42\n```\n";
    const input = file("responses.jsonl", [
      { n: 1, answer: "42", response: `${block}\\boxed{42}` },
      { n: 2, answer: "42", response: `${block}\\boxed{41}` },
      { n: 3, answer: "42", response: "I just know: \\boxed{42}" },
      { n: 4, answer: "\\frac{1}{2}", response: `${block}\\boxed{0.5}` },
    ]);
    const output = path.join(dir, "kept.jsonl");
    const r = await runCli(["data", "filter-tools", "--input", input, "--output", output]);
    expect(r.code).toBe(0);
    expect(read(output).map((x) => x.n)).toEqual([1, 4]);
    expect(r.stderr).toContain("kept 2 of 4");
  });

  it("requires string fields", async () => {
    const input = file("nofield.jsonl", [{ response: "x" }]);
    const r = await runCli([
      "data",
      "filter-tools",
      "--input",
      input,
      "--output",
      path.join(dir, "o2.jsonl"),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nofield\.jsonl:1: field "answer" must be a string/);
  });
});

import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { tinyPreset } from "../../src/engines/tiny-presets.js";
import {
  arithmeticProblems,
  DEMO_DATA_DEFAULTS,
  demoCall,
  demoTrace,
  writeDemoData,
} from "../../src/tools/demo.js";
import { DIALECTS, type DialectName } from "../../src/tools/dialect.js";

describe("demo traces", () => {
  const p = { a: 4821, b: 37, answer: "178377" };
  it.each<[DialectName, string]>([
    ["still", "```python\nprint(4821*37)\n```\n\n```output\n178377\n```\n\n\\boxed{178377}"],
    ["still_harness", "```python\nprint(4821*37)\n```\n\n```Output\n178377```\n\n\\boxed{178377}"],
    ["qwen", "```python\nprint(4821*37)\n```\n```output\n178377\n```\n\\boxed{178377}"],
    [
      "retool",
      "<code>\n```python\nprint(4821*37)\n```\n</code>\n<interpreter>\n178377</interpreter>\n\n\\boxed{178377}",
    ],
  ])("%s", (dialect, trace) => {
    expect(demoTrace(p, dialect)).toBe(trace);
    // the taught call is one the rollout stops at and parses back to the same code
    const call = demoCall(p, dialect);
    expect(DIALECTS[dialect].stop.some((s) => call.endsWith(s))).toBe(true);
    expect(DIALECTS[dialect].parseCall(call)).toBe("print(4821*37)");
  });
});

describe("arithmeticProblems", () => {
  const options = { ...DEMO_DATA_DEFAULTS, seed: 5, trainProblems: 2000 };
  it("is deterministic per seed, disjoint, and within the digit ranges", () => {
    const x = arithmeticProblems(options);
    expect(arithmeticProblems(options)).toEqual(x);
    expect(arithmeticProblems({ ...options, seed: 6 }).test).not.toEqual(x.test);
    const train = new Set(x.train.map((p) => `${p.a}*${p.b}`));
    expect(x.test.filter((p) => train.has(`${p.a}*${p.b}`))).toEqual([]);
    for (const p of [...x.train, ...x.test]) {
      expect(p.a).toBeGreaterThanOrEqual(100);
      expect(p.a).toBeLessThan(10_000);
      expect(p.b).toBeGreaterThanOrEqual(10);
      expect(p.b).toBeLessThan(1000);
      expect(p.answer).toBe(String(p.a * p.b));
    }
  });
});

describe("writeDemoData", () => {
  it("writes SFT traces and held-out problems as JSONL", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "still-demo-data-"));
    const [train, test] = [path.join(dir, "a/train.jsonl"), path.join(dir, "b/test.jsonl")];
    writeDemoData(train, test, {
      ...DEMO_DATA_DEFAULTS,
      seed: 1,
      trainProblems: 5,
      testProblems: 3,
      dialect: "qwen",
    });
    const rows = (f: string) =>
      readFileSync(f, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
    const t = rows(train);
    expect(t).toHaveLength(5);
    const [a, b] = t[0].prompt.split("*").map(Number);
    expect(t[0].response).toBe(demoTrace({ a, b, answer: String(a * b) }, "qwen"));
    expect(rows(test).map((r) => Object.keys(r))).toEqual([
      ["problem", "answer"],
      ["problem", "answer"],
      ["problem", "answer"],
    ]);
  });
});

describe("configs/demo-tools.yaml", () => {
  it("is a run config with tools, SFT data and a benchmark, on a known tiny model", () => {
    const { config } = loadConfig("configs/demo-tools.yaml", { env: {} });
    expect(config.tools).toMatchObject({ enabled: true, dialect: "still", max_calls: 1 });
    expect(config.sft?.train_files).toEqual(["data/demo-tools/train.jsonl"]);
    expect(config.eval.benchmarks.map((b) => b.file)).toEqual(["data/demo-tools/test.jsonl"]);
    expect(tinyPreset(config.model.path)).toEqual({ hidden: 64 });
  });

  it("tinyPreset names the known presets for an unknown one", () => {
    expect(() => tinyPreset("tiny:huge")).toThrow(
      /unknown tiny model "tiny:huge" \(known: tiny:qwen2, tiny:qwen2-small\)/,
    );
  });
});

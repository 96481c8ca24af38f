import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  arithmeticProblems,
  demoCall,
  demoToolsConfigSchema,
  demoTrace,
  lastBoxed,
  sftLearningRate,
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

describe("lastBoxed", () => {
  it.each([
    ["so \\boxed{12} and \\boxed{13}", "13"],
    ["\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"],
    ["\\boxed{12", null],
    ["no box", null],
  ])("%j -> %j", (text, expected) => {
    expect(lastBoxed(text)).toBe(expected);
  });
});

describe("arithmeticProblems", () => {
  const data = {
    a_digits: [3, 4] as [number, number],
    b_digits: [2, 3] as [number, number],
    train_problems: 2000,
    test_problems: 100,
  };
  it("is deterministic per seed, disjoint, and within the digit ranges", () => {
    const x = arithmeticProblems(data, 5);
    expect(arithmeticProblems(data, 5)).toEqual(x);
    expect(arithmeticProblems(data, 6).test).not.toEqual(x.test);
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

describe("sftLearningRate", () => {
  const sft = demoToolsConfigSchema.parse({}).sft;
  it.each([
    [0, sft.lr / sft.warmup_steps],
    [sft.warmup_steps - 1, sft.lr * (1 - (sft.warmup_steps - 1) / sft.steps)],
    [sft.steps - 1, sft.lr * 0.05],
  ])("step %i", (step, lr) => {
    expect(sftLearningRate(step, sft)).toBeCloseTo(lr, 12);
  });
});

describe("configs/demo-tools.yaml", () => {
  it("parses with the demo schema", () => {
    const config = demoToolsConfigSchema.parse(parse(readFileSync("configs/demo-tools.yaml", "utf8")));
    expect(config.tools.dialect).toBe("still");
  });
  it("rejects unknown keys and bad dialects with their path", () => {
    const r = demoToolsConfigSchema.safeParse({ tools: { dialect: "sglang" }, sft: { stepz: 1 } });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["tools.dialect", "sft"]));
  });
});

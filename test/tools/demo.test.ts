import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.js";
import { loadQa, loadSft } from "../../src/data/dataset.js";
import { tinyPreset } from "../../src/engines/tiny-presets.js";
import { arithmeticProblems, DEMO_DATA_DEFAULTS, demoCall, demoTrace } from "../../src/tools/demo.js";
import { DIALECTS, type DialectName } from "../../src/tools/dialect.js";
import { unsupportedKnobs } from "../../src/train/support.js";

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

describe("synthetic:mul", () => {
  it("serves the demo's problems as questions and its traces as SFT pairs in the configured dialect", () => {
    const train = loadQa(["synthetic:mul/train"], keys);
    const test = loadQa(["synthetic:mul/test"], keys);
    const sft = loadSft(["synthetic:mul/sft"], "prompt", "response");
    const { train: problems, test: held } = arithmeticProblems({ ...DEMO_DATA_DEFAULTS, seed: 0 });
    expect([train.length, test.length, sft.length]).toEqual([20_000, 100, 20_000]);
    expect(test[0]).toEqual({
      question: `${held[0]!.a}*${held[0]!.b}`,
      answer: held[0]!.answer,
      source: "mul",
    });
    expect(sft[0]).toEqual({ prompt: train[0]!.question, response: demoTrace(problems[0]!, "still") });
    const qwen = loadSft(["synthetic:mul/sft-qwen"], "prompt", "response");
    expect(qwen[0]!.response).toBe(demoTrace(problems[0]!, "qwen"));
    expect(() => loadSft(["synthetic:mul/sft-klingon"], "prompt", "response")).toThrow(
      /synthetic:mul has splits train, test, sft and sft-<dialect>/,
    );
  });
});

const keys = { promptKey: "problem", answerKey: "answer", sourceKey: "data_source" };

describe("configs/demo-tools.yaml", () => {
  it("is an SFT-only still train run, evaluated with and without tool execution", () => {
    const { config } = loadConfig("configs/demo-tools.yaml", { env: {} });
    expect(config.tools).toMatchObject({ enabled: true, dialect: "still", max_calls: 1 });
    expect(config.sft?.train_files).toEqual(["synthetic:mul/sft"]);
    expect(config.data.train_files).toEqual([]);
    expect(config.data.eval_files).toEqual(["synthetic:mul/test"]);
    expect(config.eval.before_train).toBe(true);
    expect(config.eval.benchmarks.map((b) => [b.file, b.tools])).toEqual([["synthetic:mul/test", false]]);
    expect(unsupportedKnobs(config)).toEqual([]);
    expect(tinyPreset(config.model.path)).toEqual({ hidden: 64 });
  });

  it("tinyPreset names the known presets for an unknown one", () => {
    expect(() => tinyPreset("tiny:huge")).toThrow(
      /unknown tiny model "tiny:huge" \(known: tiny:qwen2, tiny:qwen2-small, tiny:qwen2-micro\)/,
    );
  });
});

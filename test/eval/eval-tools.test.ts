/**
 * Tool-integrated evaluation (STILL-3-Tool protocol): the model's ```python blocks run in the real bubblewrap
 * sandbox and their output comes back as ```output. The model is the repo's ScriptedEngine (a random tiny model
 * writes no code): it writes a block computing the answer, then boxes whatever the output says, so a correct
 * row proves the sandbox ran the code. With the benchmark's `tools: false` (Table 7's comparison) nothing runs
 * the block, so the same model ends without an answer.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hfGenerator } from "../../src/eval/generator.js";
import { runEval } from "../../src/eval/run.js";
import { SandboxPool } from "../../src/sandbox/index.js";
import { ScriptedEngine } from "../tools/scripted-engine.js";

const dir = mkdtempSync(path.join(tmpdir(), "still-eval-tools-"));
let sandbox: SandboxPool;
beforeAll(async () => {
  sandbox = await SandboxPool.create({ concurrency: 2, timeoutMs: 20_000 });
}, 60_000);
afterAll(() => {
  sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Questions "Compute A*B." — the script writes code for it, then boxes the output it is shown. */
function model(context: string): string {
  const output = /```output\n([^\n]*)\n```\n\n$/.exec(context);
  if (output !== null) return `The interpreter says ${output[1]}, so \\boxed{${output[1]}}`;
  const [, a, b] = /Compute (\d+)\*(\d+)\./.exec(context) ?? [];
  return `Let me compute it.\n\`\`\`python\nprint(${a} * ${b})\n\`\`\`\n\n`;
}

describe("tool-integrated evaluation", () => {
  it("runs the model's code in the sandbox; without tools the same model cannot know the product", async () => {
    const file = path.join(dir, "mul.jsonl");
    const problems = [
      [123, 457],
      [999, 888],
      [31, 62],
    ];
    writeFileSync(
      file,
      problems
        .map(
          ([a, b], i) =>
            `${JSON.stringify({ id: `m${i}`, problem: `Compute ${a}*${b}.`, answer: String(a! * b!) })}\n`,
        )
        .join(""),
    );
    const decoding = { greedy: true, n: 1, temperature: 0, topP: 1, maxTokens: 400, stop: [] };
    const generator = hfGenerator({
      engine: new ScriptedEngine(model),
      describe: "scripted",
      render: (q) => `User: ${q}\nAssistant: `,
      tools: { sandbox, options: { dialect: "still", maxCalls: 2 } },
      batchSize: 2,
      close: async () => {},
    });
    const common = { file, promptKey: "problem", answerKey: "answer", decoding };
    const { summaries, rows } = await runEval({
      benchmarks: [
        { ...common, name: "with_tools", tools: true },
        { ...common, name: "without_tools", tools: false },
      ],
      generator,
      ks: [1],
      outDir: path.join(dir, "out"),
      seed: 1,
      verify: {},
      settings: {},
    });
    const withTools = rows.filter((r) => r.benchmark === "with_tools");
    expect(withTools.map((r) => [r.extracted, r.correct, r.tool_calls])).toEqual(
      problems.map(([a, b]) => [String(a! * b!), true, 1]),
    );
    expect(withTools[0]!.response).toContain("```output\n56211\n```");
    const without = rows.filter((r) => r.benchmark === "without_tools");
    expect(without.map((r) => [r.extracted, r.correct, r.tool_calls])).toEqual(
      problems.map(() => [null, false, undefined]),
    );
    expect(summaries.map((s) => [s.benchmark, s.accuracy, s.tool_calls_mean])).toEqual([
      ["with_tools", 1, 1],
      ["without_tools", 0, undefined],
    ]);
  }, 120_000);
});

import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVerlServices, type VerlServices } from "../../../src/backends/verl/services.js";
import { runConfig, runFixture, tinyModel } from "./helpers.js";

describe("still_tool agent loop with a scripted server manager, code run in the TS sandbox", () => {
  let services: VerlServices;
  let model: string;
  beforeAll(async () => {
    model = await tinyModel();
    services = await startVerlServices({
      config: runConfig({ tools: { enabled: true, dialect: "still", max_calls: 2 } }),
      runDir: path.dirname(model),
    });
  }, 120_000);
  afterAll(() => services?.close());

  it("runs each python block in the sandbox, appends ```output with mask 0, stops at max_calls and EOS", async () => {
    const turns = [
      "Let me compute.\n```python\nprint(6*7)\n```\n\n",
      "Check:\n```python\n1/0\n```\n\n",
      "Third:\n```python\nprint('never')\n```\n\n",
      "So \\boxed{42}.<eos>",
    ];
    const [r] = await runFixture("agent_loop.py", [model, JSON.stringify(turns)], services.env, 240_000);
    const out = r as {
      response: string;
      mask_runs: [number, number][];
      tool_text: string;
      tool_calls: number;
      requests: { prompt_tail: string; params: { stop: string[]; include_stop_str_in_output: boolean } }[];
      lengths: number[];
    };
    const first = /```output\n42\n```\n\n/;
    expect(out.tool_text).toMatch(
      new RegExp(`^${first.source}\`\`\`output\\nZeroDivisionError: division by zero\\n\`\`\`\\n\\n$`),
    );
    // Sampled, tool, sampled, tool, then the third block (over max_calls, not run) and the answer: sampled.
    expect(out.mask_runs.map(([m]) => m)).toEqual([1, 0, 1, 0, 1]);
    expect(out.tool_calls).toBe(2);
    expect(out.response).toContain("Third:\n```python\nprint('never')\n```\n\nSo \\boxed{42}.");
    expect(out.response).not.toMatch(/never\n```\n\n```output/);
    // The model saw the interpreter output before its next turn, and every request asked for the dialect's stop.
    expect(out.requests[1]!.prompt_tail).toMatch(/```output\n42\n```\n\n$/);
    for (const q of out.requests) {
      expect(q.params.stop).toEqual(["```\n\n"]);
      expect(q.params.include_stop_str_in_output).toBe(true);
    }
    expect(out.lengths[0]).toBe(out.lengths[1]);
  }, 300_000);
});

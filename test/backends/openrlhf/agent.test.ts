import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_PATH } from "../../../src/backends/openrlhf/index.js";
import { startVerlServices, type VerlServices } from "../../../src/backends/verl/services.js";
import { runConfig, runFixture, tinyModel } from "./helpers.js";

describe("OpenRLHF tool agent (--train.agent_func_path) in OpenRLHF's MultiTurnAgentExecutor, code in the sandbox", () => {
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

  const turns = [
    "Let me compute.\n```python\nprint(6*7)\n```\n\n",
    "Check:\n```python\n1/0\n```\n\n",
    "Third:\n```python\nprint('never')\n```\n\n",
    "So \\boxed{42}.",
  ];

  it("runs each python block in the sandbox, feeds ```output back with mask 0, scores the episode", async () => {
    const [r] = await runFixture(
      "agent_episode.py",
      [model, AGENT_PATH, JSON.stringify(turns), "42"],
      services.env,
      240_000,
    );
    const out = r as {
      executor: string;
      response: string;
      tool_text: string;
      mask_runs: [number, number][];
      reward: number;
      scores: number;
      extra_logs: Record<string, number>;
      experience: { info: Record<string, number>; rewards: number | null; scores: number | null };
      requests: {
        prompt_tail: string;
        stop: string[];
        include_stop_str_in_output: boolean;
        max_tokens: number;
      }[];
      caller_params_untouched: boolean;
    };
    expect(out.executor).toBe("agent_module.AgentExecutor");
    expect(out.tool_text).toBe(
      "```output\n42\n```\n\n```output\nZeroDivisionError: division by zero\n```\n\n",
    );
    // Sampled, tool, sampled, tool, then the third block (over max_calls, not run) and the answer: sampled.
    expect(out.mask_runs.map(([m]) => m)).toEqual([1, 0, 1, 0, 1]);
    expect(out.response).toContain("Third:\n```python\nprint('never')\n```\n\nSo \\boxed{42}.");
    expect(out.requests[1]!.prompt_tail).toMatch(/```output\n42\n```\n\n$/);
    for (const q of out.requests) {
      expect(q.stop).toEqual(["```\n\n"]);
      expect(q.include_stop_str_in_output).toBe(true);
    }
    expect(out.caller_params_untouched).toBe(true);
    // The budget shrinks by what each turn added (OpenRLHF's max_length - context).
    expect(out.requests[1]!.max_tokens).toBeLessThan(out.requests[0]!.max_tokens);
    // The reward service scored the whole response at the end: correct answer, two tool calls, no fallback.
    expect(out.reward).toBeGreaterThan(0);
    expect(out.extra_logs.acc).toBe(1);
    expect(out.extra_logs.tool_calls).toBe(2);
    expect(out.extra_logs.still_fallback).toBe(0);
    expect(out.scores).toBe(1);
    // …and reached OpenRLHF's Experience.
    expect(out.experience.rewards).toBe(out.reward);
    expect(out.experience.info.acc).toBe(1);
    expect(out.experience.info.still_fallback).toBe(0);
  }, 300_000);

  it("a wrong answer scores lower, and a dead reward service gives the flagged fallback", async () => {
    const wrong = [...turns.slice(0, 3), "So \\boxed{41}."];
    const [bad] = await runFixture(
      "agent_episode.py",
      [model, AGENT_PATH, JSON.stringify(wrong), "42"],
      services.env,
      240_000,
    );
    expect((bad as { extra_logs: Record<string, number> }).extra_logs.acc).toBe(0);
    const gone = {
      ...services.env,
      STILL_BRIDGE_ENDPOINT: "tcp://127.0.0.1:9",
      STILL_REWARD_TIMEOUT_S: "3",
      STILL_REWARD_FALLBACK: "-1.5",
    };
    const [r] = await runFixture(
      "agent_episode.py",
      [model, AGENT_PATH, JSON.stringify(["So \\boxed{42}."]), "42"],
      gone,
      240_000,
    );
    const out = r as { reward: number; extra_logs: Record<string, number>; experience: { rewards: number } };
    expect(out.reward).toBe(-1.5);
    expect(out.extra_logs.still_fallback).toBe(1);
    expect(out.experience.rewards).toBe(-1.5);
  }, 300_000);
});

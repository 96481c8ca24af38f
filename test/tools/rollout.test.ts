import { describe, expect, it } from "vitest";
import type { SamplingParams } from "../../src/engines/engine.js";
import type { ExecutionOutcome, ExecutionStatus } from "../../src/tools/output.js";
import {
  type Rollout,
  roundSeed,
  runToolRollouts,
  type ToolCallStats,
  type ToolRunner,
  type ToolSandbox,
  toolCallStats,
} from "../../src/tools/rollout.js";
import { ScriptedEngine } from "./scripted-engine.js";

/**
 * Answers from a table instead of executing (the real sandbox is in rollout-hf.test.ts) and records each call
 * with the earlier calls of its session, the way SandboxSession replays them.
 */
class TableSandbox implements ToolSandbox {
  readonly seen: string[] = [];
  readonly sessions: string[][] = [];
  constructor(private readonly table: Record<string, ExecutionOutcome>) {}
  async run(code: string): Promise<ExecutionOutcome> {
    this.seen.push(code);
    return this.table[code] ?? { status: "error", stdout: "", stderr: `NameError: unknown ${code}` };
  }
  session(): ToolRunner {
    const cells: string[] = [];
    this.sessions.push(cells);
    return {
      run: (code) => {
        cells.push(code);
        return this.run(cells.join("\n"));
      },
    };
  }
}

const params: SamplingParams = {
  n: 1,
  temperature: 0,
  topP: 1,
  topK: 0,
  maxNewTokens: 200,
  stop: [],
  seed: 7,
  returnLogprobs: true,
};
const ids = (s: string) => Int32Array.from(s, (c) => c.charCodeAt(0));
const ok = (stdout: string): ExecutionOutcome => ({ status: "ok", stdout, stderr: "" });

/** The mask as a string over the text: model-written chars as-is, tool chars replaced by "#". */
function masked(r: Rollout): string {
  return Array.from(r.tokenIds, (id, i) => (r.lossMask[i] ? String.fromCharCode(id) : "#")).join("");
}

const BLOCK = "```python\nprint(2+3)\n```\n\n";

describe("runToolRollouts", () => {
  it("runs the block, appends the output in the dialect with mask 0, and continues", async () => {
    const engine = new ScriptedEngine((ctx) =>
      ctx.endsWith("```\n\n") && ctx.includes("```output") ? "So \\boxed{5}" : BLOCK,
    );
    const sandbox = new TableSandbox({ "print(2+3)": ok("5\n") });
    const [r] = await runToolRollouts(engine, sandbox, [ids("Q:")], params, {
      dialect: "still",
      maxCalls: 4,
    });
    expect(r!.text).toBe(`${BLOCK}\`\`\`output\n5\n\`\`\`\n\nSo \\boxed{5}`);
    expect(masked(r!)).toBe(`${BLOCK}${"#".repeat("```output\n5\n```\n\n".length)}So \\boxed{5}\x03`);
    expect(String.fromCharCode(...r!.tokenIds)).toBe(`${r!.text}\x03`);
    expect(Array.from(r!.logprobs!)).toEqual(Array.from(r!.lossMask, (m) => (m ? -0.5 : 0)));
    expect(r!.calls).toEqual([{ code: "print(2+3)", status: "ok", output: "5" }]);
    expect(r!.finishReason).toBe("stop");
    // the first request adds the dialect's stop; the continuation is one sequence, n=1, with the remaining budget
    expect(
      engine.requests.map((q) => [q.params.stop, q.params.n, q.params.maxNewTokens, q.params.seed]),
    ).toEqual([
      [["```\n\n"], 1, 200, 7],
      [["```\n\n"], 1, 200 - BLOCK.length - 17, roundSeed(7, 1)],
    ]);
    expect(String.fromCharCode(...engine.requests[1]!.inputs[0]!)).toBe(
      `Q:${BLOCK}\`\`\`output\n5\n\`\`\`\n\n`,
    );
  });

  it("stops executing after maxCalls and lets the model go on writing", async () => {
    const engine = new ScriptedEngine((ctx) => {
      const blocks = ctx.split("```python").length - 1;
      const block = `\`\`\`python\nprint(${blocks})\n\`\`\`\n\n`;
      return blocks < 2 ? block : `${block}done`;
    });
    const sandbox = new TableSandbox({ "print(0)": ok("0"), "print(1)": ok("1") });
    const [r] = await runToolRollouts(
      engine,
      sandbox,
      [ids("Q")],
      { ...params, stop: ["STOP"] },
      {
        dialect: "still_harness",
        maxCalls: 2,
      },
    );
    expect(sandbox.seen).toEqual(["print(0)", "print(1)"]);
    expect(r!.text).toBe(
      "```python\nprint(0)\n```\n\n```Output\n0```\n\n```python\nprint(1)\n```\n\n```Output\n1```\n\n" +
        "```python\nprint(2)\n```\n\ndone",
    );
    expect(engine.requests.at(-1)!.params.stop).toEqual(["STOP"]);
    expect(r!.calls!.map((c) => c.output)).toEqual(["0", "1"]);
  });

  it("with maxCalls 0 it is plain generation", async () => {
    const engine = new ScriptedEngine(() => `${BLOCK}\`\`\`output\n9\n\`\`\`\n\n\\boxed{9}`);
    const sandbox = new TableSandbox({});
    const [r] = await runToolRollouts(engine, sandbox, [ids("Q")], params, { dialect: "still", maxCalls: 0 });
    expect(r!.text).toBe(`${BLOCK}\`\`\`output\n9\n\`\`\`\n\n\\boxed{9}`);
    expect(r!.lossMask.every((m) => m === 1)).toBe(true);
    expect(sandbox.seen).toEqual([]);
    expect(engine.requests).toHaveLength(1);
  });

  it("continues without executing when the stop string closes another language's block", async () => {
    const engine = new ScriptedEngine((ctx) => (ctx.endsWith("```\n\n") ? "end" : "```text\nhi\n```\n\n"));
    const sandbox = new TableSandbox({});
    const [r] = await runToolRollouts(engine, sandbox, [ids("Q")], params, { dialect: "still", maxCalls: 2 });
    expect(r!.text).toBe("```text\nhi\n```\n\nend");
    expect(r!.calls).toEqual([]);
    expect(sandbox.seen).toEqual([]);
  });

  it("caps the whole response, tool output included, at maxNewTokens", async () => {
    const engine = new ScriptedEngine(() => BLOCK);
    const sandbox = new TableSandbox({ "print(2+3)": ok("x".repeat(50)) });
    const max = BLOCK.length + 20;
    const [r] = await runToolRollouts(
      engine,
      sandbox,
      [ids("Q")],
      { ...params, maxNewTokens: max },
      {
        dialect: "still",
        maxCalls: 3,
      },
    );
    expect(r!.tokenIds).toHaveLength(max);
    expect(r!.text).toBe(`${BLOCK}\`\`\`output\n${"x".repeat(10)}`);
    expect(masked(r!)).toBe(BLOCK + "#".repeat(20));
    expect(r!.finishReason).toBe("length");
  });

  it("cuts a continuation that overshoots its own budget in a shared request", async () => {
    // sample 0 calls the tool once and then rambles; sample 1 answers at once
    const engine = new ScriptedEngine((ctx, sample) =>
      ctx.includes("```output") ? "y".repeat(500) : sample === 0 ? BLOCK : "short",
    );
    const sandbox = new TableSandbox({ "print(2+3)": ok("5") });
    const rs = await runToolRollouts(
      engine,
      sandbox,
      [ids("Q")],
      { ...params, n: 2, maxNewTokens: 60 },
      {
        dialect: "still",
        maxCalls: 1,
      },
    );
    expect(rs.map((r) => [r.input, r.sample, r.tokenIds.length, r.finishReason])).toEqual([
      [0, 0, 60, "length"],
      [0, 1, 6, "stop"],
    ]);
    expect(rs[0]!.text).toBe(`${BLOCK}\`\`\`output\n5\n\`\`\`\n\n${"y".repeat(60 - BLOCK.length - 17)}`);
  });

  it("keeps inputs and samples apart across rounds", async () => {
    const engine = new ScriptedEngine((ctx, sample) => {
      const q = ctx.slice(0, 2);
      if (ctx.includes("```output")) return `<${q}>`;
      return sample === 1 && q === "A:" ? "no tool" : `\`\`\`python\nprint("${q}")\n\`\`\`\n\n`;
    });
    const sandbox = new TableSandbox({ 'print("A:")': ok("a"), 'print("B:")': ok("b") });
    const rs = await runToolRollouts(
      engine,
      sandbox,
      [ids("A:"), ids("B:")],
      { ...params, n: 2 },
      {
        dialect: "still",
        maxCalls: 1,
      },
    );
    expect(rs.map((r) => [r.input, r.sample, r.calls!.map((c) => c.output), r.text.slice(-4)])).toEqual([
      [0, 0, ["a"], "<A:>"],
      [0, 1, [], "tool"],
      [1, 0, ["b"], "<B:>"],
      [1, 1, ["b"], "<B:>"],
    ]);
  });

  it("reports errors and timeouts the way the upstream executor does", async () => {
    const engine = new ScriptedEngine((ctx) =>
      ctx.includes("<interpreter>") ? "ok" : "<code>\n```python\n1/0\n```\n</code>",
    );
    const sandbox = new TableSandbox({
      "1/0": { status: "error", stdout: "", stderr: "Traceback ...\nZeroDivisionError: division by zero\n" },
    });
    const [r] = await runToolRollouts(engine, sandbox, [ids("Q")], params, {
      dialect: "retool",
      maxCalls: 1,
    });
    expect(r!.text).toBe(
      "<code>\n```python\n1/0\n```\n</code>\n<interpreter>\nZeroDivisionError: division by zero</interpreter>\n\nok",
    );
    expect(r!.calls![0]!.status).toBe("error");
  });

  it("in stateful mode gives each response its own session", async () => {
    const engine = new ScriptedEngine((ctx, sample) => {
      const n = ctx.split("```output").length - 1;
      return [`\`\`\`python\nx = ${sample}\n\`\`\`\n\n`, "```python\nprint(x)\n```\n\n", "end"][n]!;
    });
    const sandbox = new TableSandbox({
      "x = 0": ok(""),
      "x = 1": ok(""),
      "x = 0\nprint(x)": ok("0"),
      "x = 1\nprint(x)": ok("1"),
    });
    const rs = await runToolRollouts(
      engine,
      sandbox,
      [ids("Q")],
      { ...params, n: 2 },
      {
        dialect: "still",
        maxCalls: 2,
        stateful: true,
      },
    );
    expect(sandbox.sessions).toEqual([
      ["x = 0", "print(x)"],
      ["x = 1", "print(x)"],
    ]);
    expect(rs.map((r) => r.calls!.map((c) => c.output))).toEqual([
      ["", "0"],
      ["", "1"],
    ]);
  });

  it("without stateful mode every call is a fresh run", async () => {
    const engine = new ScriptedEngine((ctx) => (ctx.includes("```output") ? "end" : BLOCK));
    const sandbox = new TableSandbox({ "print(2+3)": ok("5") });
    await runToolRollouts(
      engine,
      sandbox,
      [ids("Q")],
      { ...params, n: 2 },
      { dialect: "still", maxCalls: 1 },
    );
    expect(sandbox.sessions).toEqual([]);
    expect(sandbox.seen).toEqual(["print(2+3)", "print(2+3)"]);
  });

  it("rejects a negative maxCalls", async () => {
    const engine = new ScriptedEngine(() => "");
    await expect(
      runToolRollouts(engine, new TableSandbox({}), [ids("Q")], params, { dialect: "still", maxCalls: -1 }),
    ).rejects.toThrow(/maxCalls/);
  });
});

describe("toolCallStats", () => {
  const rollout = (calls: ExecutionStatus[], mask: number[]): Rollout => ({
    input: 0,
    sample: 0,
    tokenIds: new Int32Array(mask.length),
    lossMask: Uint8Array.from(mask),
    logprobs: null,
    text: "",
    finishReason: "stop",
    calls: calls.map((status) => ({ code: "", status, output: "" })),
  });
  it.each<[Rollout[], ToolCallStats]>([
    [
      [],
      {
        responses: 0,
        calls: 0,
        responsesWithCalls: 0,
        byStatus: { ok: 0, error: 0, timeout: 0, memory: 0, killed: 0 },
        toolTokenFraction: 0,
      },
    ],
    [
      [rollout(["ok", "timeout"], [1, 1, 0, 0, 1, 0]), rollout([], [1, 1]), rollout(["error"], [1, 0])],
      {
        responses: 3,
        calls: 3,
        responsesWithCalls: 2,
        byStatus: { ok: 1, error: 1, timeout: 1, memory: 0, killed: 0 },
        toolTokenFraction: 0.4,
      },
    ],
  ])("%#", (rollouts, stats) => {
    expect(toolCallStats(rollouts)).toEqual(stats);
  });
});

describe("roundSeed", () => {
  it("keeps the caller's seed for the first round and spreads later rounds away from nearby step seeds", () => {
    expect(roundSeed(7, 0)).toBe(7);
    const later = new Set<number>();
    for (let seed = 0; seed < 200; seed++)
      for (let round = 1; round < 5; round++) later.add(roundSeed(seed, round));
    expect(later.size).toBe(800);
    for (let s = 0; s < 10_000; s++) expect(later.has(s)).toBe(false);
  });
});

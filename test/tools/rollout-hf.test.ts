import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine, SamplingParams } from "../../src/engines/engine.js";
import { startHfEngine } from "../../src/engines/hf.js";
import { buildTinyModel } from "../../src/engines/tiny.js";
import { SandboxPool } from "../../src/sandbox/index.js";
import { DIALECTS } from "../../src/tools/dialect.js";
import { runToolRollouts } from "../../src/tools/rollout.js";

/**
 * The real tiny engine and the real bubblewrap sandbox. The model memorises one two-call trace by SFT; the
 * output it saw for the second call is "SEEN", so the "4200" in a rollout can only come from the sandbox (same
 * length, so the memorised continuation still lines up).
 */
const PROMPT = "Q\n";
const CALL1 = "```python\nx = 6*7\n```\n\n";
const CALL2 = "```python\nprint(x * 100)\n```\n\n";
const TRACE = `${CALL1}${DIALECTS.still.formatOutput("")}${CALL2}${DIALECTS.still.formatOutput("SEEN")}\\boxed{done}`;

let dir: string;
let engine: Engine;
let sandbox: SandboxPool;
let prompt: Int32Array;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "still-tools-hf-"));
  await buildTinyModel(dir, { hidden: 64, layers: 2, heads: 4, kvHeads: 2, seed: 0 });
  [engine, sandbox] = await Promise.all([
    startHfEngine({ model: dir, threads: 1 }),
    SandboxPool.create({ concurrency: 2, timeoutMs: 10_000 }),
  ]);
  const [p, r] = await engine.tokenize([PROMPT, TRACE]);
  prompt = p!;
  const responseIds = Int32Array.from([...r!, engine.info.eosTokenId]);
  for (let step = 0; step < 120; step++) {
    await engine.sftStep([{ promptIds: prompt, responseIds }], {
      lr: 3e-3,
      maxGradNorm: 1,
      miniBatchSize: 1,
    });
  }
}, 180_000);

afterAll(async () => {
  await engine?.shutdown();
  sandbox?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const greedy: SamplingParams = {
  n: 1,
  temperature: 0,
  topP: 1,
  topK: 0,
  maxNewTokens: 160,
  stop: [],
  seed: 0,
  returnLogprobs: true,
};

describe("tool rollouts on the HF engine with the bubblewrap sandbox", () => {
  it("round-trips two calls in stateful mode, with the sandbox output masked out", async () => {
    const [r] = await runToolRollouts(engine, sandbox, [prompt], greedy, {
      dialect: "still",
      maxCalls: 2,
      stateful: true,
    });
    const out1 = DIALECTS.still.formatOutput("");
    const out2 = DIALECTS.still.formatOutput("4200");
    expect(r!.calls).toEqual([
      { code: "x = 6*7", status: "ok", output: "" },
      { code: "print(x * 100)", status: "ok", output: "4200" },
    ]);
    expect(r!.text).toBe(`${CALL1}${out1}${CALL2}${out2}\\boxed{done}`);
    expect(r!.finishReason).toBe("stop");

    // Mask: 0 exactly over the two appended outputs (byte-level tokens: one per character here).
    const expectedMask = [
      ...Array(CALL1.length).fill(1),
      ...Array(out1.length).fill(0),
      ...Array(CALL2.length).fill(1),
      ...Array(out2.length).fill(0),
      ...Array("\\boxed{done}".length + 1).fill(1), // + EOS
    ];
    expect(Array.from(r!.lossMask)).toEqual(expectedMask);
    const [decoded] = await engine.detokenize([r!.tokenIds.subarray(0, -1)]);
    expect(decoded).toBe(r!.text);
    expect(r!.tokenIds.at(-1)).toBe(engine.info.eosTokenId);
    // Sampled tokens carry real log-probs, appended ones 0.
    expect(r!.logprobs!.filter((_, i) => r!.lossMask[i] === 1).every((lp) => lp < 0)).toBe(true);
    expect(r!.logprobs!.filter((_, i) => r!.lossMask[i] === 0).every((lp) => lp === 0)).toBe(true);
  });

  it("without stateful mode the second call fails with the interpreter's last traceback line", async () => {
    const [r] = await runToolRollouts(engine, sandbox, [prompt], greedy, { dialect: "still", maxCalls: 2 });
    expect(r!.calls!.map((c) => [c.status, c.output])).toEqual([
      ["ok", ""],
      ["error", "NameError: name 'x' is not defined"],
    ]);
    expect(r!.text).toContain(DIALECTS.still.formatOutput("NameError: name 'x' is not defined"));
  });

  it("after maxCalls the model writes its own output, as without tools", async () => {
    const [r] = await runToolRollouts(engine, sandbox, [prompt], greedy, { dialect: "still", maxCalls: 1 });
    expect(r!.calls).toHaveLength(1);
    expect(r!.text).toBe(TRACE);
    expect(Array.from(r!.lossMask).filter((m) => m === 0)).toHaveLength(
      DIALECTS.still.formatOutput("").length,
    );
  });
});

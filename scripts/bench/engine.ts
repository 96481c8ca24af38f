/**
 * `npm run bench:engine`: the built-in HF engine on the tiny model, CPU, through the bridge.
 * - generate: 16 prompts × 8 samples, 128 new tokens, temperature 1, compared in the same run with Hugging Face
 *   `model.generate` (scripts/bench/engine_reference.py) on the same model, prompts, budget and threads;
 * - update: one PPO/GRPO update on 128 samples (the generated batch), 4 mini-batches of 32, and one of 128.
 * Options: --threads N (torch threads, default 1), --repeats N (default 3), --hidden N, --layers N.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { execa } from "execa";
import type { Completion, PolicySample, UpdateOptions } from "../../src/engines/engine.js";
import { startHfEngine } from "../../src/engines/hf.js";
import { buildTinyModel } from "../../src/engines/tiny.js";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";
import { packageRoot } from "../../src/util/paths.js";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "1" },
    repeats: { type: "string", default: "3" },
    hidden: { type: "string", default: "128" },
    layers: { type: "string", default: "2" },
  },
});
const threads = Number(values.threads);
const repeats = Number(values.repeats);
const PROMPTS = 16;
const SAMPLES = 8;
const MAX_NEW = 128;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const out = await fn();
  return [out, (performance.now() - start) / 1000];
}

const work = mkdtempSync(path.join(tmpdir(), "still-bench-engine-"));
const modelDir = await buildTinyModel(path.join(work, "tiny"), {
  hidden: Number(values.hidden),
  layers: Number(values.layers),
});
const engine = await startHfEngine({ model: modelDir, threads });
try {
  const texts = Array.from(
    { length: PROMPTS },
    (_, i) => `Question ${i}: what is ${i} + ${2 * i}? Think step by step.`,
  );
  const inputs = await engine.tokenize(texts);
  const params = {
    n: SAMPLES,
    temperature: 1,
    topP: 1,
    topK: 0,
    maxNewTokens: MAX_NEW,
    stop: [],
    seed: 0,
    returnLogprobs: true,
  };
  await engine.generate({ inputs, params: { ...params, maxNewTokens: 8 } });
  const genTimes: number[] = [];
  let completions: Completion[] = [];
  for (let r = 0; r < repeats; r++) {
    const [cs, s] = await timed(() => engine.generate({ inputs, params: { ...params, seed: r } }));
    genTimes.push(s);
    completions = cs;
  }
  const genTokens = completions.reduce((n, c) => n + c.tokenIds.length, 0);

  const ref = await execa(
    resolvePython().executable,
    [
      path.join(packageRoot, "scripts", "bench", "engine_reference.py"),
      modelDir,
      JSON.stringify(texts),
      String(SAMPLES),
      String(MAX_NEW),
      String(threads),
      String(repeats),
    ],
    { env: pythonEnv(), extendEnv: false },
  );
  const reference = JSON.parse(ref.stdout.trim().split("\n").pop()!) as { seconds: number[]; tokens: number };

  const batch: PolicySample[] = completions.map((c) => ({
    promptIds: inputs[c.input]!,
    responseIds: c.tokenIds,
    lossMask: new Uint8Array(c.tokenIds.length).fill(1),
    advantages: new Float32Array(c.tokenIds.length).fill(c.sample % 2 ? 1 : -1),
    oldLogprobs: c.logprobs!,
    refLogprobs: c.logprobs!,
  }));
  const opts: UpdateOptions = {
    lr: 1e-4,
    clipRatioLow: 0.2,
    clipRatioHigh: 0.28,
    klCoef: 0.001,
    klEstimator: "low_var_kl",
    entropyCoef: 0.001,
    lossAggregation: "token-mean",
    maxGradNorm: 1,
    miniBatchSize: 32,
    epochs: 1,
    seed: 0,
  };
  await engine.save(path.join(work, "ckpt"));
  const updateTimes: Record<string, number[]> = { "4 x 32": [], "1 x 128": [] };
  for (let r = 0; r < repeats; r++) {
    await engine.load(path.join(work, "ckpt"));
    updateTimes["4 x 32"]!.push((await timed(() => engine.update(batch, opts)))[1]);
    await engine.load(path.join(work, "ckpt"));
    updateTimes["1 x 128"]!.push(
      (await timed(() => engine.update(batch, { ...opts, miniBatchSize: 128 })))[1],
    );
  }

  const rows: string[][] = [
    ["operation", "setup", "median s", "tokens", "tokens/s"],
    [
      "generate (still-rl, via bridge)",
      `${PROMPTS}x${SAMPLES}, ${MAX_NEW} new`,
      median(genTimes).toFixed(3),
      String(genTokens),
      (genTokens / median(genTimes)).toFixed(0),
    ],
    [
      "HF model.generate (reference)",
      `${PROMPTS}x${SAMPLES}, ${MAX_NEW} new`,
      median(reference.seconds).toFixed(3),
      String(reference.tokens),
      (reference.tokens / median(reference.seconds)).toFixed(0),
    ],
    ...Object.entries(updateTimes).map(([mb, ts]) => [
      "update (still-rl, via bridge)",
      `128 samples, mini-batches ${mb}`,
      median(ts).toFixed(3),
      String(genTokens),
      (genTokens / median(ts)).toFixed(0),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(
    `tiny Qwen2 (hidden ${values.hidden}, ${values.layers} layers), CPU, torch threads ${threads}, ${repeats} runs`,
  );
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join("  "));
} finally {
  await engine.shutdown();
  rmSync(work, { recursive: true, force: true });
}

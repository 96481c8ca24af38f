/**
 * The tool demo (report §4.4, Table 7 in miniature): a tiny model is fine-tuned on generated traces that put a
 * multi-digit product in a ```python block and copy the interpreter's output into \boxed{}. On held-out
 * problems it is evaluated twice with the same greedy decoding: with tool execution (the sandbox's output is
 * appended) and without (the model must write the output itself). It cannot multiply in its head, so only the
 * first can be right: the gap is what the tool is worth.
 */

import { z } from "zod";
import type { Engine, SamplingParams, SftSample } from "../engines/engine.js";
import { DIALECTS, type DialectName } from "./dialect.js";
import { runToolRollouts, type ToolRollout, type ToolSandbox } from "./rollout.js";

const positiveInt = () => z.number().int().positive();
const digitRange = z
  .tuple([positiveInt(), positiveInt()])
  .refine(([lo, hi]) => lo <= hi, "expected [min, max] with min <= max");
/** A block whose every field has a default: absent, it parses to its defaults. */
const defaults = <T extends z.ZodType>(schema: T) => schema.default(() => schema.parse({}) as never);

const sandboxBlock = z.strictObject({
  timeout_ms: positiveInt().default(5_000),
  /** Model-facing output length; default the dialect's (STILL: 400). */
  max_output_chars: positiveInt().optional(),
  pool_size: positiveInt().default(2),
});

export const demoToolsConfigSchema = z.strictObject({
  name: z.string().min(1).default("demo-tools"),
  seed: z.number().int().default(0),
  /** The tiny model the engine builds (python -m still_rl.engines.hf.tiny). */
  model: defaults(
    z.strictObject({
      hidden: positiveInt().default(64),
      layers: positiveInt().default(2),
      heads: positiveInt().default(4),
      kv_heads: positiveInt().default(2),
    }),
  ),
  data: defaults(
    z.strictObject({
      /** Digits of the first and second factor. */
      a_digits: digitRange.default([3, 4]),
      b_digits: digitRange.default([2, 3]),
      train_problems: positiveInt().default(20_000),
      /** Held out: none of these pairs is in the training traces. */
      test_problems: positiveInt().default(100),
    }),
  ),
  sft: defaults(
    z.strictObject({
      steps: positiveInt().default(1200),
      batch_size: positiveInt().default(32),
      lr: z.number().positive().default(3e-3),
      /** Linear warm-up, then linear decay to 5% of lr. */
      warmup_steps: z.number().int().nonnegative().default(30),
      max_grad_norm: z.number().positive().default(1),
      log_every: positiveInt().default(100),
    }),
  ),
  tools: defaults(
    z.strictObject({
      dialect: z.enum(Object.keys(DIALECTS) as [DialectName, ...DialectName[]]).default("still"),
      max_calls: positiveInt().default(1),
      stateful: z.boolean().default(false),
      /** bwrap: bubblewrap namespaces, failing closed; none: rlimits only (a loud warning on every run). */
      isolation: z.enum(["bwrap", "none"]).default("bwrap"),
      sandbox: defaults(sandboxBlock),
    }),
  ),
  eval: defaults(z.strictObject({ max_new_tokens: positiveInt().default(96) })),
});

export type DemoToolsConfig = z.output<typeof demoToolsConfigSchema>;

export interface ArithmeticProblem {
  a: number;
  b: number;
  answer: string;
}

export interface DemoEvalResult {
  accuracy: number;
  correct: number;
  total: number;
  /** Responses whose code block was the exact product of the prompt's factors. */
  codeExact: number;
  toolCalls: number;
  examples: { prompt: string; response: string; answer: string }[];
}

export interface DemoToolsResult {
  withTool: DemoEvalResult;
  withoutTool: DemoEvalResult;
  /** withTool.accuracy - withoutTool.accuracy, in points. */
  gapPoints: number;
  sftLoss: { step: number; loss: number }[];
  sftSeconds: number;
  evalSeconds: number;
}

/** mulberry32: a small seeded PRNG, so the data of a seed is the same on every machine. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomInt(rand: () => number, digits: number): number {
  const lo = 10 ** (digits - 1);
  return lo + Math.floor(rand() * (10 ** digits - lo));
}

/** Disjoint train and test problems. */
export function arithmeticProblems(
  config: DemoToolsConfig["data"],
  seed: number,
): { train: ArithmeticProblem[]; test: ArithmeticProblem[] } {
  const rand = seededRandom(seed);
  const seen = new Set<string>();
  const draw = (count: number): ArithmeticProblem[] => {
    const out: ArithmeticProblem[] = [];
    while (out.length < count) {
      const pick = ([lo, hi]: [number, number]) => lo + Math.floor(rand() * (hi - lo + 1));
      const a = randomInt(rand, pick(config.a_digits));
      const b = randomInt(rand, pick(config.b_digits));
      const key = `${a}*${b}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ a, b, answer: String(BigInt(a) * BigInt(b)) });
    }
    return out;
  };
  const test = draw(config.test_problems);
  return { train: draw(config.train_problems), test };
}

export function demoPrompt(p: ArithmeticProblem): string {
  return `Q: ${p.a}*${p.b}\n`;
}

/** The code block the model is taught to write, closed by the dialect's stop string. */
export function demoCall(p: ArithmeticProblem, dialect: DialectName): string {
  const block = `\`\`\`python\nprint(${p.a}*${p.b})\n\`\`\``;
  switch (dialect) {
    case "still":
    case "still_harness":
      return `${block}\n\n`;
    case "qwen":
    case "torl":
      return `${block}\n\`\`\`output`;
    case "retool":
      return `<code>\n${block}\n</code>`;
  }
}

/** A full trace: the call, the interpreter's output in the dialect's bytes, the answer. */
export function demoTrace(p: ArithmeticProblem, dialect: DialectName): string {
  return `${demoCall(p, dialect)}${DIALECTS[dialect].formatOutput(p.answer)}\\boxed{${p.answer}}`;
}

/** The content of the last \boxed{...} (braces balanced), or null. */
export function lastBoxed(text: string): string | null {
  const at = text.lastIndexOf("\\boxed{");
  if (at < 0) return null;
  let depth = 0;
  for (let i = at + "\\boxed".length; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return text.slice(at + "\\boxed{".length, i);
  }
  return null;
}

/** Linear warm-up to lr, then linear decay to 5% of it at the last step. */
export function sftLearningRate(step: number, sft: DemoToolsConfig["sft"]): number {
  const warm = sft.warmup_steps > 0 ? Math.min(1, (step + 1) / sft.warmup_steps) : 1;
  return sft.lr * warm * Math.max(0.05, 1 - step / sft.steps);
}

export interface DemoToolsHooks {
  log?: (message: string) => void;
}

/** SFT on generated traces, then held-out evaluation with and without tool execution. */
export async function runToolDemo(
  engine: Engine,
  sandbox: ToolSandbox,
  config: DemoToolsConfig,
  hooks: DemoToolsHooks = {},
): Promise<DemoToolsResult> {
  const log = hooks.log ?? (() => {});
  const dialect = config.tools.dialect;
  const { train, test } = arithmeticProblems(config.data, config.seed);

  const sftStart = performance.now();
  const rand = seededRandom(config.seed + 1);
  const sftLoss: { step: number; loss: number }[] = [];
  for (let step = 0; step < config.sft.steps; step++) {
    const batch = Array.from(
      { length: config.sft.batch_size },
      () => train[Math.floor(rand() * train.length)]!,
    );
    const samples = await sftSamples(engine, batch, dialect);
    const stats = await engine.sftStep(samples, {
      lr: sftLearningRate(step, config.sft),
      maxGradNorm: config.sft.max_grad_norm,
      miniBatchSize: samples.length,
    });
    if (step % config.sft.log_every === 0 || step === config.sft.steps - 1) {
      sftLoss.push({ step, loss: stats.loss });
      log(`sft step ${step}/${config.sft.steps} loss ${stats.loss.toFixed(4)}`);
    }
  }
  const sftSeconds = (performance.now() - sftStart) / 1000;

  const evalStart = performance.now();
  const withTool = await evaluate(engine, sandbox, test, config, config.tools.max_calls);
  log(`with tool execution: ${withTool.correct}/${withTool.total}`);
  const withoutTool = await evaluate(engine, sandbox, test, config, 0);
  log(`without tool execution: ${withoutTool.correct}/${withoutTool.total}`);
  return {
    withTool,
    withoutTool,
    gapPoints: 100 * (withTool.accuracy - withoutTool.accuracy),
    sftLoss,
    sftSeconds,
    evalSeconds: (performance.now() - evalStart) / 1000,
  };
}

async function sftSamples(
  engine: Engine,
  problems: ArithmeticProblem[],
  dialect: DialectName,
): Promise<SftSample[]> {
  const prompts = await engine.tokenize(problems.map(demoPrompt));
  const responses = await engine.tokenize(problems.map((p) => demoTrace(p, dialect)));
  return problems.map((_, i) => {
    const r = responses[i]!;
    const responseIds = new Int32Array(r.length + 1);
    responseIds.set(r);
    responseIds[r.length] = engine.info.eosTokenId;
    return { promptIds: prompts[i]!, responseIds };
  });
}

/** Greedy decoding; `maxCalls` 0 is plain generation (the model writes the "output" itself). */
export async function evaluate(
  engine: Engine,
  sandbox: ToolSandbox,
  problems: ArithmeticProblem[],
  config: DemoToolsConfig,
  maxCalls: number,
): Promise<DemoEvalResult> {
  const params: SamplingParams = {
    n: 1,
    temperature: 0,
    topP: 1,
    topK: 0,
    maxNewTokens: config.eval.max_new_tokens,
    stop: [],
    seed: config.seed,
    returnLogprobs: false,
  };
  const prompts = problems.map(demoPrompt);
  const rollouts: ToolRollout[] = await runToolRollouts(
    engine,
    sandbox,
    await engine.tokenize(prompts),
    params,
    {
      dialect: config.tools.dialect,
      maxCalls,
      stateful: config.tools.stateful,
      ...(config.tools.sandbox.max_output_chars
        ? { maxOutputChars: config.tools.sandbox.max_output_chars }
        : {}),
    },
  );
  let correct = 0;
  let codeExact = 0;
  let toolCalls = 0;
  for (const r of rollouts) {
    const p = problems[r.input]!;
    if (lastBoxed(r.text) === p.answer) correct++;
    if (r.text.startsWith(demoCall(p, config.tools.dialect))) codeExact++;
    toolCalls += r.calls.length;
  }
  return {
    accuracy: correct / problems.length,
    correct,
    total: problems.length,
    codeExact,
    toolCalls,
    examples: rollouts.slice(0, 3).map((r) => ({
      prompt: prompts[r.input]!,
      response: r.text,
      answer: problems[r.input]!.answer,
    })),
  };
}

/**
 * The tool demo (report §4.4, Table 7 in miniature): a tiny model is fine-tuned on generated traces that put a
 * multi-digit product in a ```python block and copy the interpreter's output into \boxed{}. On held-out
 * problems it is evaluated twice with the same greedy decoding: with tool execution (the sandbox's output is
 * appended) and without (the model must write the output itself). It cannot multiply in its head, so only the
 * first can be right: the gap is what the tool is worth.
 *
 * The run is an ordinary RunConfig (configs/demo-tools.yaml): `sft` trains on the generated traces, `tools`
 * configures the dialect and the sandbox, `eval.benchmarks` names the held-out problems, `prompt` renders them.
 */

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { RunConfig } from "../config/index.js";
import type { Engine, SamplingParams, SftSample } from "../engines/engine.js";
import { renderPrompt } from "../prompts/templates.js";
import { hashInts, mulberry32, permutation } from "../train/rng.js";
import { lrAt } from "../train/schedules.js";
import { verify } from "../verify/index.js";
import { DIALECTS, type DialectName } from "./dialect.js";
import { toolOptionsFromConfig } from "./from-config.js";
import { runToolRollouts, type ToolSandbox } from "./rollout.js";

export interface ArithmeticProblem {
  a: number;
  b: number;
  answer: string;
}

export interface DemoDataOptions {
  seed: number;
  /** Digits of the first and second factor, [min, max]. */
  aDigits: [number, number];
  bDigits: [number, number];
  trainProblems: number;
  testProblems: number;
  dialect: DialectName;
}

export const DEMO_DATA_DEFAULTS: Omit<DemoDataOptions, "seed" | "dialect"> = {
  aDigits: [3, 4],
  bDigits: [2, 3],
  trainProblems: 20_000,
  testProblems: 100,
};

export interface DemoEvalResult {
  benchmark: string;
  accuracy: number;
  correct: number;
  total: number;
  toolCalls: number;
  examples: { prompt: string; response: string; answer: string }[];
}

export interface DemoToolsResult {
  withTool: DemoEvalResult;
  withoutTool: DemoEvalResult;
  /** withTool.accuracy - withoutTool.accuracy, in points. */
  gapPoints: number;
  sftSteps: number;
  sftLoss: { step: number; loss: number }[];
  sftSeconds: number;
  evalSeconds: number;
}

/** Disjoint train and test problems. */
export function arithmeticProblems(options: Omit<DemoDataOptions, "dialect">): {
  train: ArithmeticProblem[];
  test: ArithmeticProblem[];
} {
  const rand = mulberry32(options.seed);
  const pick = ([lo, hi]: [number, number]) => lo + Math.floor(rand() * (hi - lo + 1));
  const number = (digits: number) =>
    10 ** (digits - 1) + Math.floor(rand() * (10 ** digits - 10 ** (digits - 1)));
  const seen = new Set<string>();
  const draw = (count: number): ArithmeticProblem[] => {
    const out: ArithmeticProblem[] = [];
    while (out.length < count) {
      const a = number(pick(options.aDigits));
      const b = number(pick(options.bDigits));
      const key = `${a}*${b}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ a, b, answer: String(BigInt(a) * BigInt(b)) });
    }
    return out;
  };
  const test = draw(options.testProblems);
  return { train: draw(options.trainProblems), test };
}

/** The question text; the run config's prompt template wraps it. */
export function demoQuestion(p: ArithmeticProblem): string {
  return `${p.a}*${p.b}`;
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

/**
 * Writes the SFT traces (`{prompt, response}`, prompt = the question) and the held-out problems
 * (`{problem, answer}`) as JSONL.
 */
export function writeDemoData(trainFile: string, testFile: string, options: DemoDataOptions): void {
  const { train, test } = arithmeticProblems(options);
  const jsonl = (rows: object[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join("");
  for (const file of [trainFile, testFile]) mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    trainFile,
    jsonl(train.map((p) => ({ prompt: demoQuestion(p), response: demoTrace(p, options.dialect) }))),
  );
  writeFileSync(testFile, jsonl(test.map((p) => ({ problem: demoQuestion(p), answer: p.answer }))));
}

function readJsonl(file: string): Record<string, unknown>[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function stringField(row: Record<string, unknown>, key: string, file: string): string {
  const value = row[key];
  if (typeof value !== "string") throw new Error(`${file}: field "${key}" must be a string`);
  return value;
}

export interface DemoToolsHooks {
  log?: (message: string) => void;
  /** Log the SFT loss every this many steps (default 100). */
  logEvery?: number;
}

/** SFT on the config's traces, then its first benchmark with and without tool execution. */
export async function runToolDemo(
  engine: Engine,
  sandbox: ToolSandbox,
  config: RunConfig,
  hooks: DemoToolsHooks = {},
): Promise<DemoToolsResult> {
  const log = hooks.log ?? (() => {});
  const sft = config.sft;
  const benchmark = config.eval.benchmarks[0];
  if (!sft) throw new Error("the tool demo needs an sft block");
  if (!benchmark) throw new Error("the tool demo needs an eval benchmark");
  if (!config.tools.enabled) throw new Error("the tool demo needs tools.enabled: true");

  const traces = sft.train_files.flatMap((file) =>
    readJsonl(file).map((row) => ({
      prompt: renderPrompt(config.prompt, stringField(row, sft.prompt_key, file)),
      response: stringField(row, sft.response_key, file),
    })),
  );
  const promptIds = await engine.tokenize(traces.map((t) => t.prompt));
  const responseIds = (await engine.tokenize(traces.map((t) => t.response))).map((r) =>
    Int32Array.from([...r, engine.info.eosTokenId]),
  );
  const samples: SftSample[] = traces.map((_, i) => ({
    promptIds: promptIds[i]!,
    responseIds: responseIds[i]!,
  }));

  const sftStart = performance.now();
  const perEpoch = Math.ceil(samples.length / sft.batch_size);
  const total = perEpoch * sft.epochs;
  const sftLoss: { step: number; loss: number }[] = [];
  for (let epoch = 0, step = 0; epoch < sft.epochs; epoch++) {
    const order = permutation(samples.length, hashInts(config.seed, epoch));
    for (let b = 0; b < perEpoch; b++, step++) {
      const batch = order.slice(b * sft.batch_size, (b + 1) * sft.batch_size).map((i) => samples[i]!);
      const stats = await engine.sftStep(batch, {
        lr: lrAt(step + 1, sft.lr, sft.lr_schedule, total),
        maxGradNorm: sft.max_grad_norm,
        weightDecay: sft.weight_decay,
        miniBatchSize: batch.length,
      });
      if (step % (hooks.logEvery ?? 100) === 0 || step === total - 1) {
        sftLoss.push({ step, loss: stats.loss });
        log(`sft step ${step}/${total} loss ${stats.loss.toFixed(4)}`);
      }
    }
  }
  const sftSeconds = (performance.now() - sftStart) / 1000;

  const evalStart = performance.now();
  const withTool = await evaluate(engine, sandbox, config, config.tools.max_calls);
  log(`with tool execution: ${withTool.correct}/${withTool.total}`);
  const withoutTool = await evaluate(engine, sandbox, config, 0);
  log(`without tool execution: ${withoutTool.correct}/${withoutTool.total}`);
  return {
    withTool,
    withoutTool,
    gapPoints: 100 * (withTool.accuracy - withoutTool.accuracy),
    sftSteps: total,
    sftLoss,
    sftSeconds,
    evalSeconds: (performance.now() - evalStart) / 1000,
  };
}

/** The first benchmark, decoded as eval.sampling says; `maxCalls` 0 is plain generation. */
export async function evaluate(
  engine: Engine,
  sandbox: ToolSandbox,
  config: RunConfig,
  maxCalls: number,
): Promise<DemoEvalResult> {
  const benchmark = config.eval.benchmarks[0]!;
  const sampling = { ...config.eval.sampling, ...benchmark.sampling };
  const promptKey = benchmark.prompt_key ?? config.data.prompt_key;
  const answerKey = benchmark.answer_key ?? config.data.answer_key;
  const rows = readJsonl(benchmark.file);
  const prompts = rows.map((r) => renderPrompt(config.prompt, stringField(r, promptKey, benchmark.file)));
  const answers = rows.map((r) => stringField(r, answerKey, benchmark.file));
  const params: SamplingParams = {
    n: sampling.greedy ? 1 : sampling.n,
    temperature: sampling.greedy ? 0 : sampling.temperature,
    topP: sampling.greedy ? 1 : sampling.top_p,
    topK: 0,
    maxNewTokens: sampling.max_tokens,
    stop: [],
    seed: config.seed,
    returnLogprobs: false,
  };
  const rollouts = await runToolRollouts(engine, sandbox, await engine.tokenize(prompts), params, {
    ...toolOptionsFromConfig(config.tools),
    maxCalls,
  });
  let correct = 0;
  let toolCalls = 0;
  for (const r of rollouts) {
    if (verify(answers[r.input]!, r.text).correct) correct++;
    toolCalls += r.calls.length;
  }
  return {
    benchmark: benchmark.name,
    accuracy: correct / rollouts.length,
    correct,
    total: rollouts.length,
    toolCalls,
    examples: rollouts.slice(0, 3).map((r) => ({
      prompt: prompts[r.input]!,
      response: r.text,
      answer: answers[r.input]!,
    })),
  };
}

/**
 * A run config plus the command line as an evaluation: which benchmarks with which decoding, which provider,
 * which grading options. `still eval` is this plus printing.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { RunConfig } from "../config/index.js";
import type { BenchmarkConfig } from "../config/schema/evaluation.js";
import { startHfEngine } from "../engines/hf.js";
import { renderPrompt } from "../prompts/templates.js";
import { SandboxPool, sandboxOptionsFromConfig } from "../sandbox/index.js";
import { toolOptionsFromConfig } from "../tools/from-config.js";
import { resolveModel } from "../train/model.js";
import { UserError } from "../util/errors.js";
import { packageRoot } from "../util/paths.js";
import type { VerifyOptions } from "../verify/index.js";
import { type Generator, hfGenerator } from "./generator.js";
import { openAiGenerator } from "./openai.js";
import type { EvalBenchmark } from "./run.js";

/** The benchmarks bundled in data/benchmarks (see its SOURCES.md). */
export const BUNDLED_BENCHMARKS = ["math500", "aime24", "aime25", "hmmt_feb25", "omni_math_rule"] as const;

export function bundledFile(name: string): string {
  return path.join(packageRoot, "data", "benchmarks", `${name}.jsonl`);
}

/**
 * The config's eval.benchmarks, or those named: a config benchmark's name, a bundled benchmark's name, or a
 * JSONL/Parquet file (named after its base name), as config entries.
 */
export function chooseBenchmarks(config: RunConfig, names: readonly string[] | undefined): BenchmarkConfig[] {
  const configured = config.eval.benchmarks;
  const chosen =
    names === undefined || names.length === 0
      ? configured
      : names.map((name) => {
          const c = configured.find((b) => b.name === name);
          if (c !== undefined) return c;
          if ((BUNDLED_BENCHMARKS as readonly string[]).includes(name)) {
            return { name, file: bundledFile(name), tools: true };
          }
          if (existsSync(name)) return { name: path.parse(name).name, file: name, tools: true };
          throw new UserError(
            `--benchmarks: "${name}" is not a benchmark of the config (${configured.map((b) => b.name).join(", ") || "none"}), ` +
              `a bundled one (${BUNDLED_BENCHMARKS.join(", ")}) or a file`,
          );
        });
  if (chosen.length === 0) {
    throw new UserError(
      `nothing to evaluate: the config has no eval.benchmarks; name some with --benchmarks (bundled: ${BUNDLED_BENCHMARKS.join(", ")})`,
    );
  }
  for (const b of chosen)
    if (!existsSync(b.file)) throw new UserError(`benchmark ${b.name}: no file ${b.file}`);
  return chosen;
}

/** The chosen benchmarks (chooseBenchmarks) with their decoding: eval.sampling with each one's overrides. */
export function benchmarksFor(config: RunConfig, names: readonly string[] | undefined): EvalBenchmark[] {
  return chooseBenchmarks(config, names).map((b) => {
    const s = { ...config.eval.sampling, ...b.sampling };
    return {
      name: b.name,
      file: b.file,
      promptKey: b.prompt_key ?? "problem",
      answerKey: b.answer_key ?? "answer",
      decoding: {
        greedy: s.greedy,
        n: s.n,
        temperature: s.temperature,
        topP: s.top_p,
        maxTokens: s.max_tokens,
        stop: config.rollout.stop,
      },
      tools: config.tools.enabled && b.tools,
    };
  });
}

/** Grading: answers in `<answer>` tags for the R1-style prompts, else the last box; evaluation fallbacks on. */
export function verifyOptionsFor(config: RunConfig): VerifyOptions {
  const tagged = config.prompt.template === "r1_zero_short" || config.prompt.template === "still_long";
  return { format: tagged ? "answer-tag" : "boxed", fallback: true };
}

export interface ProviderOptions {
  /** HF model directory (or tiny:<name>), or with `endpoint` the served model name. */
  model?: string;
  endpoint?: string;
  api: "completions" | "chat";
  concurrency: number;
  retries: number;
  timeoutMs: number;
  /** Problems per HF engine call. */
  batchSize: number;
  /** Where a tiny model is built. */
  outDir: string;
  onLog: (line: string) => void;
}

/** The HF engine on a checkpoint directory (or a run directory's model/), or an OpenAI-compatible server. */
export async function startGenerator(config: RunConfig, o: ProviderOptions): Promise<Generator> {
  const render = (q: string) => renderPrompt(config.prompt, q);
  if (o.endpoint !== undefined) {
    if (config.tools.enabled && config.eval.benchmarks.some((b) => b.tools)) {
      o.onLog("note: tool execution runs with the HF engine only; the endpoint is evaluated without tools");
    }
    return openAiGenerator({
      endpoint: o.endpoint,
      model: o.model,
      api: o.api,
      render,
      concurrency: o.concurrency,
      retries: o.retries,
      backoffMs: 500,
      timeoutMs: o.timeoutMs,
      apiKey: process.env.OPENAI_API_KEY,
    });
  }
  let model = await resolveModel(o.model ?? config.model.path, o.outDir, config.seed, config.python);
  if (!existsSync(path.join(model, "config.json")) && existsSync(path.join(model, "model", "config.json"))) {
    model = path.join(model, "model");
  }
  if (!existsSync(path.join(model, "config.json"))) {
    throw new UserError(
      `--model ${model}: not a Hugging Face model directory (no config.json); for a served model give --endpoint`,
    );
  }
  const sandbox = config.tools.enabled
    ? await SandboxPool.create(sandboxOptionsFromConfig(config.tools, config.python))
    : null;
  try {
    o.onLog(`starting the HF engine on ${model}`);
    const hf = config.backend.hf;
    const engine = await startHfEngine({
      model,
      device: hf.device,
      dtype: config.model.dtype === "auto" ? undefined : config.model.dtype,
      threads: hf.threads ?? undefined,
      microBatchSize: hf.micro_batch_size,
      tokenizer: config.model.tokenizer,
      trustRemoteCode: config.model.trust_remote_code,
      python: config.python,
    });
    return hfGenerator({
      engine,
      describe: `hf:${model}`,
      render,
      tools: sandbox === null ? null : { sandbox, options: toolOptionsFromConfig(config.tools) },
      batchSize: o.batchSize,
      close: async () => {
        await engine.shutdown();
        sandbox?.close();
      },
    });
  } catch (err) {
    sandbox?.close();
    throw err;
  }
}

/**
 * The YAML of `still data prepare CONFIG` (every field also a flag), and the difficulty filter's wiring: pass
 * rates come from an evaluation (`still eval`'s machinery, so it is resumable) of the rows that survived the
 * other steps, with the model and sampling of a run config.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { loadConfig } from "../config/index.js";
import {
  BUNDLED_BENCHMARKS,
  benchmarksFor,
  bundledFile,
  startGenerator,
  verifyOptionsFor,
} from "../eval/from-config.js";
import { runEval } from "../eval/run.js";
import { UserError } from "../util/errors.js";
import { readRows } from "./dataset.js";
import type { BenchmarkText } from "./dedup.js";
import { FILTERS, type FilterName } from "./filters.js";
import { type CuratedRecord, OUTPUT_FORMATS } from "./formats.js";
import type { PrepareOptions } from "./prepare.js";

const FILTER_NAMES = FILTERS.map(([n]) => n) as [FilterName, ...FilterName[]];

export const prepareConfigSchema = z.strictObject({
  input: z.array(z.string().min(1)).default([]),
  split: z.string().min(1).default("train"),
  prompt_key: z.string().min(1).default("problem"),
  answer_key: z.string().min(1).default("answer"),
  source_key: z.string().min(1).default("data_source"),
  filters: z.array(z.enum(FILTER_NAMES)).default([...FILTER_NAMES]),
  dedup: z
    .strictObject({
      exact: z.boolean().default(true),
      near: z.boolean().default(true),
      /** Jaccard similarity of word 3-gram shingles at or above which a question is a near duplicate. */
      threshold: z.number().gt(0).max(1).default(0.8),
    })
    .default({ exact: true, near: true, threshold: 0.8 }),
  decontaminate: z
    .union([
      z.literal(false),
      z.strictObject({
        /** Bundled benchmark names or JSONL/Parquet files with a `problem` field. */
        benchmarks: z.array(z.string().min(1)).default([...BUNDLED_BENCHMARKS]),
        ngram: z.int().min(1).default(8),
        /** Share of a question's n-grams found in one benchmark problem at or above which it is dropped. */
        threshold: z.number().gt(0).max(1).default(0.5),
      }),
    ])
    .default({ benchmarks: [...BUNDLED_BENCHMARKS], ngram: 8, threshold: 0.5 }),
  difficulty: z
    .strictObject({
      /** Run config giving the model, prompt and sampling (eval.sampling); its eval.benchmarks are ignored. */
      config: z.string().min(1),
      samples: z.int().min(2).default(8),
      /** OpenAI-compatible server instead of the config's model on the HF engine. */
      endpoint: z.string().min(1).optional(),
      model: z.string().min(1).optional(),
    })
    .nullable()
    .default(null),
  format: z.enum(OUTPUT_FORMATS).default("verl"),
  output: z.string().min(1).optional(),
});

export type PrepareConfig = z.output<typeof prepareConfigSchema>;

export function readPrepareConfig(
  file: string | undefined,
  overrides: Record<string, unknown>,
): PrepareConfig {
  let raw: unknown = {};
  if (file !== undefined) {
    try {
      raw = parseYaml(readFileSync(file, "utf8")) ?? {};
    } catch (err) {
      throw new UserError(`${file}: ${(err as Error).message}`);
    }
  }
  const merged = {
    ...(raw as object),
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
  const parsed = prepareConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const where = file ?? "data prepare";
    throw new UserError(
      parsed.error.issues.map((i) => `${where}: ${i.path.join(".") || "(top)"}: ${i.message}`).join("\n"),
    );
  }
  // Relative paths in a config file are relative to it.
  if (file !== undefined) {
    const base = path.dirname(file);
    const fromFile = raw as { input?: unknown };
    if (Array.isArray(fromFile.input) && overrides.input === undefined) {
      parsed.data.input = parsed.data.input.map((p) => path.resolve(base, p));
    }
  }
  return parsed.data;
}

function benchmarkTexts(names: readonly string[]): BenchmarkText[] {
  return names.flatMap((name) => {
    const bundled = (BUNDLED_BENCHMARKS as readonly string[]).includes(name);
    const file = bundled ? bundledFile(name) : name;
    const label = bundled ? name : path.parse(name).name;
    return readRows(file).map((row, i) => {
      if (typeof row.problem !== "string") throw new UserError(`${file}:${i + 1}: no "problem" field`);
      return { benchmark: label, id: typeof row.id === "string" ? row.id : String(i), text: row.problem };
    });
  });
}

/** Pass rates by sampling the difficulty config's model `samples` times per record. */
function passRatesFrom(
  d: NonNullable<PrepareConfig["difficulty"]>,
  workDir: string,
  log: (l: string) => void,
) {
  return async (records: readonly CuratedRecord[]): Promise<number[]> => {
    const { config } = loadConfig(d.config, {
      set: [`eval.sampling.n=${d.samples}`, "eval.sampling.greedy=false", "eval.k=[1]"],
    });
    mkdirSync(workDir, { recursive: true });
    const file = path.join(workDir, "questions.jsonl");
    writeFileSync(
      file,
      records.map((r) => `${JSON.stringify({ problem: r.question, answer: r.answer, id: r.id })}\n`).join(""),
    );
    const [bench] = benchmarksFor(
      { ...config, eval: { ...config.eval, benchmarks: [{ name: "difficulty", file, tools: true }] } },
      undefined,
    );
    const generator = await startGenerator(config, {
      model: d.model,
      endpoint: d.endpoint,
      api: "completions",
      concurrency: 8,
      retries: 3,
      timeoutMs: 600_000,
      batchSize: 8,
      outDir: workDir,
      onLog: log,
    });
    try {
      const { rows } = await runEval({
        benchmarks: [bench!],
        generator,
        ks: [1],
        outDir: path.join(workDir, "eval"),
        seed: config.seed,
        verify: verifyOptionsFor(config),
        settings: { generator: generator.describe, questions: records.length, samples: d.samples },
      });
      const correct = new Array<number>(records.length).fill(0);
      for (const r of rows) if (r.correct) correct[r.problem]!++;
      return correct.map((c) => c / d.samples);
    } finally {
      await generator.close();
    }
  };
}

export function prepareOptions(c: PrepareConfig, log: (l: string) => void): PrepareOptions {
  if (c.output === undefined) throw new UserError("no output: give --output FILE (or output: in the config)");
  return {
    inputs: c.input,
    split: c.split,
    promptKey: c.prompt_key,
    answerKey: c.answer_key,
    sourceKey: c.source_key,
    filters: c.filters,
    dedup: c.dedup,
    decontaminate:
      c.decontaminate === false
        ? null
        : {
            benchmarks: benchmarkTexts(c.decontaminate.benchmarks),
            ngram: c.decontaminate.ngram,
            threshold: c.decontaminate.threshold,
          },
    ...(c.difficulty === null
      ? {}
      : { passRates: passRatesFrom(c.difficulty, `${c.output}.difficulty`, log) }),
    format: c.format,
    output: c.output,
  };
}

import { mkdirSync } from "node:fs";
import path from "node:path";
import type { RunConfig } from "../../config/index.js";
import { loadQa, type QaRecord } from "../../data/dataset.js";
import { type Row, writeParquet } from "../../data/parquet.js";
import { renderPrompt } from "../../prompts/templates.js";
import { UserError } from "../../util/errors.js";
import { inRunBenchmarks, PLUGIN_NAMES, runFiles } from "./compile.js";

/**
 * The run's questions as veRL Parquet (what RLHFDataset reads): `prompt` is one user message holding the
 * prompt still-rl rendered (the compiled pass-through chat template keeps it verbatim), `data_source`,
 * `reward_model.ground_truth`, `extra_info` (index, split, question) and `agent_name` (the still-rl tool
 * agent loop when tools run).
 */

export interface ConvertedData {
  train: string;
  trainRows: number;
  /** Absent when the run has no evaluation data (veRL then gets the training file and never validates). */
  val?: string;
  valRows: number;
}

export function verlRows(
  records: readonly QaRecord[],
  config: RunConfig,
  split: "train" | "val",
  tools: boolean,
): Row[] {
  return records.map((r, index) => ({
    data_source: r.source,
    prompt: [{ role: "user", content: renderPrompt(config.prompt, r.question) }],
    ability: "math",
    reward_model: { style: "rule", ground_truth: r.answer },
    extra_info: { index, split, question: r.question },
    agent_name: tools ? PLUGIN_NAMES.toolAgentLoop : "single_turn_agent",
  }));
}

export function convertData(config: RunConfig, runDir: string): ConvertedData {
  const files = runFiles(runDir);
  mkdirSync(path.dirname(files.train), { recursive: true });
  const keys = {
    promptKey: config.data.prompt_key,
    answerKey: config.data.answer_key,
    sourceKey: config.data.source_key,
  };
  const tools = config.tools.enabled;
  const train = loadQa(config.data.train_files, keys);
  if (train.length === 0)
    throw new UserError("data.train_files: no training questions (veRL needs at least one)");
  writeParquet(files.train, verlRows(train, config, "train", tools));

  const val: Row[] = verlRows(loadQa(config.data.eval_files, keys), config, "val", tools);
  for (const b of inRunBenchmarks(config)) {
    const rows = loadQa([b.file], {
      promptKey: b.prompt_key ?? keys.promptKey,
      answerKey: b.answer_key ?? keys.answerKey,
      sourceKey: keys.sourceKey,
    }).map((r) => ({ ...r, source: b.name }));
    val.push(...verlRows(rows, config, "val", tools && b.tools));
  }
  if (val.length === 0) return { train: files.train, trainRows: train.length, valRows: 0 };
  val.forEach((row, index) => {
    (row.extra_info as Record<string, unknown>).index = index;
  });
  writeParquet(files.val, val);
  return { train: files.train, trainRows: train.length, val: files.val, valRows: val.length };
}

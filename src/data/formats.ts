/**
 * The training-data formats `still data prepare` writes. Each is a row shape; the file type follows the
 * output's extension (.parquet: Parquet, anything else: JSONL).
 */
import { writeFileSync } from "node:fs";
import { isParquet, type Row, writeParquet } from "./parquet.js";

export const OUTPUT_FORMATS = ["verl", "openrlhf", "still"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface CuratedRecord {
  question: string;
  answer: string;
  source: string;
  /** The input row's id (or its position in the input). */
  id: string;
}

/**
 * veRL's RLHFDataset columns: `prompt` chat messages (rendered with the tokenizer's chat template at training
 * time), `data_source` (picks the reward function), `reward_model.ground_truth`, `extra_info.index`.
 */
function verlRow(r: CuratedRecord, index: number): Row {
  return {
    data_source: r.source,
    prompt: [{ role: "user", content: r.question }],
    ability: "math",
    reward_model: { style: "rule", ground_truth: r.answer },
    extra_info: { index, split: "train", id: r.id },
  };
}

/** OpenRLHF: train with `--input_key prompt --label_key label` (the label reaches the remote reward). */
function openrlhfRow(r: CuratedRecord): Row {
  return { prompt: r.question, label: r.answer, datasource: r.source, id: r.id };
}

/** still-rl's own data config defaults: prompt_key problem, answer_key answer, source_key data_source. */
function stillRow(r: CuratedRecord): Row {
  return { problem: r.question, answer: r.answer, data_source: r.source, id: r.id };
}

export function formatRows(records: readonly CuratedRecord[], format: OutputFormat): Row[] {
  if (format === "verl") return records.map(verlRow);
  return records.map(format === "openrlhf" ? openrlhfRow : stillRow);
}

export function writeRows(file: string, rows: readonly Row[]): void {
  if (isParquet(file)) writeParquet(file, rows);
  else writeFileSync(file, rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
}

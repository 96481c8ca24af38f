import { UserError } from "../util/errors.js";
import { type JsonlLine, readJsonl } from "../util/jsonl.js";
import { isParquet, readParquet } from "./parquet.js";
import type { QaRecord, SftRecord } from "./records.js";
import { isSynthetic, syntheticRecords } from "./synthetic.js";

export type { QaRecord, SftRecord };

export interface QaKeys {
  promptKey: string;
  answerKey: string;
  sourceKey: string;
}

/** Rows of a JSONL or Parquet file (by extension), each with its line (JSONL) or 1-based row number (Parquet). */
function numberedRows(file: string): JsonlLine<Record<string, unknown>>[] {
  if (isParquet(file)) return readParquet(file).map((value, i) => ({ line: i + 1, value }));
  return readJsonl(file, { objects: true, what: "data file" });
}

/** Rows of a JSONL or Parquet file (by extension). */
export function readRows(file: string): Record<string, unknown>[] {
  return numberedRows(file).map((r) => r.value);
}

/**
 * A row's field as text. A dotted key reaches into structs (veRL's `reward_model.ground_truth`); a list of
 * chat messages (veRL's `prompt`) gives the content of its last user message.
 */
export function field(row: Record<string, unknown>, key: string, where: string): string {
  const v = lookup(row, key);
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  const message = Array.isArray(v) ? v.findLast((m) => isMessage(m) && m.role === "user") : undefined;
  if (message !== undefined) return message.content;
  throw new UserError(`${where}: missing string field "${key}"`);
}

function lookup(row: Record<string, unknown>, key: string): unknown {
  if (key in row) return row[key];
  let v: unknown = row;
  for (const part of key.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function isMessage(m: unknown): m is { role: string; content: string } {
  return (
    m !== null &&
    typeof m === "object" &&
    typeof (m as { role?: unknown }).role === "string" &&
    typeof (m as { content?: unknown }).content === "string"
  );
}

function checkSynthetic<T>(source: string, records: QaRecord[] | SftRecord[], kind: "qa" | "sft"): T[] {
  const isQa = records.length > 0 && "question" in records[0]!;
  if (records.length > 0 && isQa !== (kind === "qa")) {
    throw new UserError(
      `${source} holds ${isQa ? "questions" : "SFT pairs"}, not ${kind === "qa" ? "questions" : "SFT pairs"}`,
    );
  }
  return records as T[];
}

/** Questions from JSONL and Parquet files and synthetic sources, in the order given. */
export function loadQa(files: readonly string[], keys: QaKeys): QaRecord[] {
  const out: QaRecord[] = [];
  for (const file of files) {
    if (isSynthetic(file)) {
      out.push(...checkSynthetic<QaRecord>(file, wrap(file), "qa"));
      continue;
    }
    for (const { line, value: row } of numberedRows(file)) {
      const where = `${file}:${line}`;
      const { [keys.promptKey]: _q, [keys.answerKey]: _a, [keys.sourceKey]: src, ...extra } = row;
      out.push({
        question: field(row, keys.promptKey, where),
        answer: field(row, keys.answerKey, where),
        source: typeof src === "string" ? src : file,
        extra,
      });
    }
  }
  return out;
}

/** SFT pairs from JSONL and Parquet files and synthetic sources. */
export function loadSft(files: readonly string[], promptKey: string, responseKey: string): SftRecord[] {
  const out: SftRecord[] = [];
  for (const file of files) {
    if (isSynthetic(file)) {
      out.push(...checkSynthetic<SftRecord>(file, wrap(file), "sft"));
      continue;
    }
    for (const { line, value: row } of numberedRows(file)) {
      const where = `${file}:${line}`;
      out.push({ prompt: field(row, promptKey, where), response: field(row, responseKey, where) });
    }
  }
  return out;
}

function wrap(source: string): QaRecord[] | SftRecord[] {
  try {
    return syntheticRecords(source);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

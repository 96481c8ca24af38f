import { UserError } from "../util/errors.js";
import { type JsonlLine, readJsonl } from "../util/jsonl.js";
import type { QaRecord, SftRecord } from "./records.js";
import { isSynthetic, syntheticRecords } from "./synthetic.js";

export type { QaRecord, SftRecord };

export interface QaKeys {
  promptKey: string;
  answerKey: string;
  sourceKey: string;
}

function readRows(file: string): JsonlLine<Record<string, unknown>>[] {
  return readJsonl(file, { objects: true, what: "data file" });
}

function field(row: Record<string, unknown>, key: string, where: string): string {
  const v = row[key];
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  throw new UserError(`${where}: missing string field "${key}"`);
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

/** Questions from JSONL files and synthetic sources, in the order given. */
export function loadQa(files: readonly string[], keys: QaKeys): QaRecord[] {
  const out: QaRecord[] = [];
  for (const file of files) {
    if (isSynthetic(file)) {
      out.push(...checkSynthetic<QaRecord>(file, wrap(file), "qa"));
      continue;
    }
    for (const { line, value: row } of readRows(file)) {
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

/** SFT pairs from JSONL files and synthetic sources. */
export function loadSft(files: readonly string[], promptKey: string, responseKey: string): SftRecord[] {
  const out: SftRecord[] = [];
  for (const file of files) {
    if (isSynthetic(file)) {
      out.push(...checkSynthetic<SftRecord>(file, wrap(file), "sft"));
      continue;
    }
    for (const { line, value: row } of readRows(file)) {
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

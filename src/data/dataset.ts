import { readFileSync } from "node:fs";
import { UserError } from "../util/errors.js";
import type { QaRecord, SftRecord } from "./records.js";
import { isSynthetic, syntheticRecords } from "./synthetic.js";

export type { QaRecord, SftRecord };

export interface QaKeys {
  promptKey: string;
  answerKey: string;
  sourceKey: string;
}

function readJsonl(file: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(`cannot read data file ${file}: ${(err as Error).message}`);
  }
  const rows: Record<string, unknown>[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new UserError(`${file}:${i + 1}: not JSON (${(err as Error).message})`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new UserError(`${file}:${i + 1}: expected a JSON object`);
    }
    rows.push(value as Record<string, unknown>);
  });
  return rows;
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
    readJsonl(file).forEach((row, i) => {
      const where = `${file}:${i + 1}`;
      const { [keys.promptKey]: _q, [keys.answerKey]: _a, [keys.sourceKey]: src, ...extra } = row;
      out.push({
        question: field(row, keys.promptKey, where),
        answer: field(row, keys.answerKey, where),
        source: typeof src === "string" ? src : file,
        extra,
      });
    });
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
    readJsonl(file).forEach((row, i) => {
      const where = `${file}:${i + 1}`;
      out.push({ prompt: field(row, promptKey, where), response: field(row, responseKey, where) });
    });
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

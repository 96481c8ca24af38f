/**
 * `still data prepare` as a library: read rows, run the report's filters, drop exact and near duplicates and
 * rows overlapping the benchmarks, optionally drop questions the model always or never solves, and write
 * veRL Parquet, OpenRLHF JSONL or still-rl JSONL, with a report of what each step removed and why.
 */
import { UserError } from "../util/errors.js";
import { field } from "./dataset.js";
import { type BenchmarkText, contaminationIndex, findDuplicates } from "./dedup.js";
import { FILTERS, type FilterName } from "./filters.js";
import { type CuratedRecord, formatRows, type OutputFormat, writeRows } from "./formats.js";
import type { Row } from "./parquet.js";
import { readSource } from "./sources.js";

export interface PrepareOptions {
  inputs: readonly string[];
  /** Split of a `datasets` folder with several. */
  split?: string;
  promptKey: string;
  answerKey: string;
  sourceKey: string;
  /** Filters to run (all by default). */
  filters: readonly FilterName[];
  dedup: { exact: boolean; near: boolean; threshold: number };
  decontaminate: { benchmarks: readonly BenchmarkText[]; ngram: number; threshold: number } | null;
  /** Pass rate of each record (0..1) from sampling a model; records at 0 or 1 are dropped. */
  passRates?: (records: readonly CuratedRecord[]) => Promise<number[]>;
  format: OutputFormat;
  output: string;
  /** Examples kept per step in the report. */
  examples?: number;
}

export interface StepReport {
  step: string;
  removed: number;
  examples: { id: string; question: string; why: string }[];
}

export interface PrepareReport {
  inputs: string[];
  read: number;
  kept: number;
  format: OutputFormat;
  output: string;
  steps: StepReport[];
}

interface Candidate extends CuratedRecord {
  input: string;
}

function toRecords(rows: readonly Row[], file: string, o: PrepareOptions, missing: StepReport, k: number) {
  const out: Candidate[] = [];
  rows.forEach((row, i) => {
    const id = typeof row.id === "string" || typeof row.id === "number" ? String(row.id) : `${file}:${i + 1}`;
    try {
      const question = field(row, o.promptKey, `${file}:${i + 1}`);
      const answer = field(row, o.answerKey, `${file}:${i + 1}`);
      const src = row[o.sourceKey];
      out.push({ question, answer, id, source: typeof src === "string" ? src : "unknown", input: file });
    } catch (err) {
      missing.removed++;
      if (missing.examples.length < k) {
        missing.examples.push({
          id,
          question: JSON.stringify(row).slice(0, 200),
          why: (err as Error).message,
        });
      }
    }
  });
  return out;
}

function note(report: StepReport, r: CuratedRecord, k: number, why: string): void {
  report.removed++;
  if (report.examples.length < k) report.examples.push({ id: r.id, question: r.question, why });
}

/** Keeps the records `why` returns null for; counts and samples the rest under `step`. */
function sieve<T extends CuratedRecord>(
  records: readonly T[],
  step: string,
  k: number,
  why: (r: T, i: number) => string | null,
): { kept: T[]; report: StepReport } {
  const report: StepReport = { step, removed: 0, examples: [] };
  const kept = records.filter((r, i) => {
    const reason = why(r, i);
    if (reason === null) return true;
    note(report, r, k, reason);
    return false;
  });
  return { kept, report };
}

export async function prepareData(o: PrepareOptions): Promise<PrepareReport> {
  if (o.inputs.length === 0)
    throw new UserError("no input: give --input FILE|FOLDER (or input: in the config)");
  const k = o.examples ?? 3;
  const steps: StepReport[] = [];
  const missing: StepReport = { step: "missing_fields", removed: 0, examples: [] };
  let read = 0;
  let records: Candidate[] = [];
  for (const input of o.inputs) {
    const rows = readSource(input, o.split);
    read += rows.length;
    records.push(...toRecords(rows, input, o, missing, k));
  }
  steps.push(missing);

  for (const [name, filter] of FILTERS) {
    if (!o.filters.includes(name)) continue;
    const s = sieve(records, name, k, (r) => filter(r.question, r.answer));
    records = s.kept;
    steps.push(s.report);
  }

  if (o.dedup.exact || o.dedup.near) {
    const dups = findDuplicates(
      records.map((r) => r.question),
      { enabled: o.dedup.near, threshold: o.dedup.threshold },
    );
    const exact: StepReport = { step: "exact_duplicate", removed: 0, examples: [] };
    const near: StepReport = { step: "near_duplicate", removed: 0, examples: [] };
    const all = records;
    records = all.filter((r, i) => {
      const d = dups[i]!;
      if (d.of < 0) return true;
      const isExact = d.similarity === 1 && o.dedup.exact;
      note(
        isExact ? exact : near,
        r,
        k,
        isExact
          ? `same text as ${all[d.of]!.id}`
          : `${(100 * d.similarity).toFixed(0)}% shingle overlap with ${all[d.of]!.id}`,
      );
      return false;
    });
    if (o.dedup.exact) steps.push(exact);
    if (o.dedup.near) steps.push(near);
  }

  if (o.decontaminate !== null) {
    const d = o.decontaminate;
    const index = contaminationIndex(d.benchmarks, d.ngram, d.threshold);
    const s = sieve(records, "benchmark_overlap", k, (r) => {
      const c = index.check(r.question);
      return c === null
        ? null
        : `${(100 * c.overlap).toFixed(0)}% of its ${d.ngram}-grams in ${c.benchmark} ${c.id}`;
    });
    records = s.kept;
    steps.push(s.report);
  }

  if (o.passRates !== undefined && records.length > 0) {
    const rates = await o.passRates(records);
    const s = sieve(records, "difficulty", k, (_r, i) => {
      const p = rates[i]!;
      return p === 0 ? "never solved" : p === 1 ? "always solved" : null;
    });
    records = s.kept;
    steps.push(s.report);
  }

  writeRows(o.output, formatRows(records, o.format));
  return { inputs: [...o.inputs], read, kept: records.length, format: o.format, output: o.output, steps };
}

/** The report as a table, with examples under it. */
export function formatPrepareReport(r: PrepareReport): string {
  const width = Math.max(...r.steps.map((s) => s.step.length), 4);
  const lines = [
    `read ${r.read} rows from ${r.inputs.join(", ")}`,
    `| ${"step".padEnd(width)} | removed |`,
    `|${"-".repeat(width + 2)}|--------:|`,
    ...r.steps.map((s) => `| ${s.step.padEnd(width)} | ${String(s.removed).padStart(7)} |`),
    `| ${"kept".padEnd(width)} | ${String(r.kept).padStart(7)} |`,
    "",
  ];
  for (const s of r.steps) {
    if (s.examples.length === 0) continue;
    lines.push(`${s.step}:`);
    for (const e of s.examples) {
      const q = e.question.replace(/\s+/g, " ");
      lines.push(`  - ${e.id}: ${q.length > 90 ? `${q.slice(0, 87)}...` : q}  [${e.why}]`);
    }
  }
  lines.push(`wrote ${r.kept} rows (${r.format}) to ${r.output}`);
  return lines.join("\n");
}

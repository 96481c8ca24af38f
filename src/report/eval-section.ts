/**
 * The report's evaluation section: for each `still eval` output directory (or a run directory with an `eval/`
 * one), the per-benchmark summary (pass@k, maj@k, Table 4's lengths of correct vs incorrect responses,
 * completion and keyword ratios) and a few graded samples.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { BenchmarkSummary, EvalRow } from "../eval/summary.js";

export interface EvalData {
  dir: string;
  generator: string;
  benchmarks: BenchmarkSummary[];
  /** Up to two correct and two incorrect rows per benchmark. */
  examples: EvalRow[];
}

/** The evaluation in `dir` (or `dir/eval`), or null when there is none. */
export function readEval(dir: string): EvalData | null {
  const at = [dir, path.join(dir, "eval")].find((d) => existsSync(path.join(d, "summary.json")));
  if (at === undefined) return null;
  const summary = JSON.parse(readFileSync(path.join(at, "summary.json"), "utf8")) as {
    generator: string;
    benchmarks: BenchmarkSummary[];
  };
  const samples = path.join(at, "samples.jsonl");
  const rows = existsSync(samples)
    ? readFileSync(samples, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as EvalRow)
    : [];
  const examples = summary.benchmarks.flatMap((b) => {
    const mine = rows.filter((r) => r.benchmark === b.benchmark);
    return [...mine.filter((r) => r.correct).slice(0, 2), ...mine.filter((r) => !r.correct).slice(0, 2)];
  });
  return { dir: at, generator: summary.generator, benchmarks: summary.benchmarks, examples };
}

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const pct = (v: number | null | undefined) => (typeof v === "number" ? (100 * v).toFixed(1) : "-");
const num = (v: number | null | undefined) => (typeof v === "number" ? v.toFixed(0) : "-");

export function evalSection(e: EvalData): string {
  const ks = [...new Set(e.benchmarks.flatMap((b) => Object.keys(b.pass_at_k)))];
  const majs = [...new Set(e.benchmarks.flatMap((b) => Object.keys(b.maj_at_k)))].filter(
    (k) => k !== "maj@1",
  );
  const kw = [...new Set(e.benchmarks.flatMap((b) => Object.keys(b.keyword_ratios)))];
  const head = [
    "benchmark",
    "problems",
    "samples",
    ...ks,
    ...majs,
    "length correct",
    "length incorrect",
    "unit",
    "completed %",
    ...kw.map((k) => `${k} %`),
    "errors",
  ];
  const rows = e.benchmarks.map((b) =>
    [
      esc(b.benchmark),
      b.problems,
      b.samples,
      ...ks.map((k) => pct(b.pass_at_k[k])),
      ...majs.map((k) => pct(b.maj_at_k[k])),
      num(b.length_correct_mean),
      num(b.length_incorrect_mean),
      b.length_unit,
      pct(b.completion_ratio),
      ...kw.map((k) => pct(b.keyword_ratios[k])),
      b.errors,
    ]
      .map((c) => `<td>${c}</td>`)
      .join(""),
  );
  const samples = e.examples
    .map(
      (r) =>
        `<tr><td>${esc(r.benchmark)}</td><td>${esc(r.id)}</td><td>${r.sample}</td><td><pre>${esc(r.response.slice(-600))}</pre></td><td>${esc(r.gold)}</td><td>${esc(r.extracted ?? "")}</td><td>${r.correct}</td><td>${esc(r.reason)}</td></tr>`,
    )
    .join("\n");
  return `<section class="eval">
<h2>Evaluation <small>${esc(e.dir)} · ${esc(e.generator)}</small></h2>
<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>
<tbody>${rows.map((r) => `<tr>${r}</tr>`).join("\n")}</tbody></table>
<h3>Graded samples (up to two correct and two incorrect per benchmark; last 600 characters)</h3>
<table class="samples"><thead><tr><th>benchmark</th><th>id</th><th>sample</th><th>response</th><th>gold</th><th>extracted</th><th>correct</th><th>reason</th></tr></thead>
<tbody>${samples}</tbody></table>
</section>`;
}

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { UserError } from "../util/errors.js";
import { writeOutputFile } from "../util/io.js";
import { readJsonl } from "../util/jsonl.js";
import { evalSection, readEval } from "./eval-section.js";

/**
 * `report.html` for one or more run directories: a chart per metric over steps with the runs overlaid (as
 * the report's Figure 1 ablations), each run's resolved config, and sample rollouts. Charts are Vega-Lite
 * specs rendered to static SVG in Node, so the page is one self-contained file: no script, no network.
 */

export interface RunData {
  name: string;
  dir: string;
  metrics: Record<string, number | string>[];
  config: string;
  trainSamples: Record<string, unknown>[];
  evalSamples: Record<string, unknown>[];
}

export interface Point {
  run: string;
  step: number;
  value: number;
}

export function readRun(dir: string): RunData {
  const metricsFile = path.join(dir, "metrics.jsonl");
  if (!existsSync(metricsFile)) throw new UserError(`${dir}: not a run directory (no metrics.jsonl)`);
  const configFile = path.join(dir, "config.yaml");
  const config = existsSync(configFile) ? readFileSync(configFile, "utf8") : "";
  const name = /^name:\s*(\S+)/m.exec(config)?.[1] ?? path.basename(path.resolve(dir));
  return {
    name,
    dir,
    metrics: rows(metricsFile) as Record<string, number | string>[],
    config,
    trainSamples: rows(path.join(dir, "samples", "train.jsonl")),
    evalSamples: rows(path.join(dir, "samples", "eval.jsonl")),
  };
}

/** A run's JSONL file; a run that wrote none has none. */
function rows(file: string): Record<string, unknown>[] {
  return existsSync(file) ? readJsonl<Record<string, unknown>>(file).map((l) => l.value) : [];
}

/** Same-named runs get a numeric suffix so the legend tells them apart. */
function uniqueNames(runs: RunData[]): RunData[] {
  const seen = new Map<string, number>();
  return runs.map((r) => {
    const n = (seen.get(r.name) ?? 0) + 1;
    seen.set(r.name, n);
    return n === 1 ? r : { ...r, name: `${r.name} (${n})` };
  });
}

const ORDER = ["eval/accuracy", "train/accuracy", "train/reward_mean", "train/response_length_mean"];

function rank(metric: string): [number, string] {
  const i = ORDER.indexOf(metric);
  if (i >= 0) return [i, metric];
  const group = ["eval/", "train/", "time/", "sft/"].findIndex((p) => metric.startsWith(p));
  return [ORDER.length + (group < 0 ? 4 : group), metric];
}

/** Metrics the summary table shows instead of a chart (a running total is a straight line). */
const SUMMARY_ONLY = new Set(["time/elapsed_s"]);

/** Every numeric metric's points over all runs, metrics in reading order (eval accuracy first). */
export function metricSeries(runs: RunData[]): Map<string, Point[]> {
  const series = new Map<string, Point[]>();
  for (const run of runs) {
    for (const line of run.metrics) {
      const step = line.step;
      if (typeof step !== "number") continue;
      for (const [key, value] of Object.entries(line)) {
        if (key === "step" || key === "stage" || SUMMARY_ONLY.has(key)) continue;
        if (typeof value !== "number" || !Number.isFinite(value)) continue;
        const points = series.get(key) ?? [];
        points.push({ run: run.name, step, value });
        series.set(key, points);
      }
    }
  }
  const keys = [...series.keys()].sort((a, b) => {
    const [ra, na] = rank(a);
    const [rb, nb] = rank(b);
    return ra - rb || na.localeCompare(nb);
  });
  return new Map(keys.map((k) => [k, series.get(k)!]));
}

/** A metric whose every run holds one value throughout (a fixed lr, a length budget): a table row, not a chart. */
export function constantValues(points: Point[]): Map<string, number> | null {
  const values = new Map<string, number>();
  for (const p of points) {
    const seen = values.get(p.run);
    if (seen !== undefined && seen !== p.value) return null;
    values.set(p.run, p.value);
  }
  return values;
}

const CHART = { width: 340, height: 180 };

/** Every chart has the same outer size (axis labels fit inside it), so the grid stays even. */
export function chartSpec(metric: string, points: Point[], compare: boolean): TopLevelSpec {
  const single = new Set(points.map((p) => p.step)).size === 1;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: metric,
    ...CHART,
    autosize: { type: "fit", contains: "padding" },
    data: { values: points },
    mark: { type: "line", point: single || points.length <= 40, strokeWidth: 1.6 },
    encoding: {
      x: {
        field: "step",
        type: "quantitative",
        title: metric.startsWith("sft/") ? "SFT step" : "step",
        axis: { format: "~d", tickMinStep: 1 },
      },
      y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
      ...(compare ? { color: { field: "run", type: "nominal", title: "run" } } : {}),
    },
    config: { font: "Helvetica, Arial, sans-serif", legend: { orient: "bottom" } },
  } as TopLevelSpec;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function fmt(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(3);
  if (v === null || v === undefined) return "";
  return String(v);
}

function summaryRow(run: RunData): string {
  const rl = run.metrics.filter((m) => m.stage === undefined);
  const evals = rl.filter((m) => typeof m["eval/accuracy"] === "number");
  const first = evals.find((m) => m.step === 0);
  const last = evals.at(-1);
  const steps = rl.reduce((a, m) => Math.max(a, Number(m.step)), 0);
  const sftSteps = run.metrics.filter((m) => m.stage === "sft").length;
  const wall = wallTime(run);
  return `<tr><td>${escapeHtml(run.name)}</td><td>${escapeHtml(run.dir)}</td><td>${sftSteps}</td><td>${steps}</td><td>${fmt(first?.["eval/accuracy"])}</td><td>${fmt(last?.["eval/accuracy"])}</td><td>${wall === null ? "" : wall.toFixed(0)}</td></tr>`;
}

/**
 * The run's wall time as the console reports it: SFT, RL and evaluation, across resumes — the last
 * `time/elapsed_s`. Runs written before that field existed have none (not a sum of step times, which
 * leaves evaluation out).
 */
export function wallTime(run: RunData): number | null {
  for (let i = run.metrics.length - 1; i >= 0; i--) {
    const v = run.metrics[i]!["time/elapsed_s"];
    if (typeof v === "number") return v;
  }
  return null;
}

function constantsTable(rows: [string, Map<string, number>][], runs: RunData[]): string {
  if (rows.length === 0) return "";
  const head = runs.map((r) => `<th>${escapeHtml(r.name)}</th>`).join("");
  const body = rows
    .map(
      ([metric, values]) =>
        `<tr><td>${escapeHtml(metric)}</td>${runs.map((r) => `<td>${fmtConstant(values.get(r.name))}</td>`).join("")}</tr>`,
    )
    .join("\n");
  return `<h3>Unchanged during the run</h3>
<table class="constants"><thead><tr><th>metric</th>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Shortest exact form: 16, 0.001, 2e-6 — never 16.000000. */
function fmtConstant(v: number | undefined): string {
  if (v === undefined) return "";
  return Math.abs(v) !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6) ? v.toExponential() : String(v);
}

function samplesTable(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return "<p>none recorded</p>";
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${columns.map((c) => `<td><pre>${escapeHtml(fmt(r[c]))}</pre></td>`).join("")}</tr>`)
    .join("\n");
  return `<table class="samples"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The last `count` train samples and the latest evaluation's answers. */
function runSection(run: RunData): string {
  const lastStep = run.trainSamples.reduce((a, r) => Math.max(a, Number(r.step)), 0);
  const firstStep = run.trainSamples.reduce((a, r) => Math.min(a, Number(r.step)), Number.POSITIVE_INFINITY);
  const early = run.trainSamples.filter((r) => r.step === firstStep);
  const late = run.trainSamples.filter((r) => r.step === lastStep);
  const evalLast = run.evalSamples.reduce((a, r) => Math.max(a, Number(r.step)), -1);
  const evalFirst = run.evalSamples.reduce((a, r) => Math.min(a, Number(r.step)), Number.POSITIVE_INFINITY);
  const cols = ["step", "prompt", "response", "answer", "reward", "advantage", "finish"];
  const evalCols = ["step", "question", "response", "answer", "correct"];
  return `<section class="run">
<h2>${escapeHtml(run.name)} <small>${escapeHtml(run.dir)}</small></h2>
<h3>Rollouts, first step</h3>${samplesTable(early, cols)}
${lastStep !== firstStep ? `<h3>Rollouts, last step</h3>${samplesTable(late, cols)}` : ""}
<h3>Held-out answers (greedy), first and last evaluation</h3>
${samplesTable(
  run.evalSamples.filter((r) => r.step === evalFirst || r.step === evalLast),
  evalCols,
)}
<details><summary>Resolved config</summary><pre class="config">${escapeHtml(run.config)}</pre></details>
</section>`;
}

const STYLE = `body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:32px}h2 small{color:#888;font-weight:normal;font-size:12px}
h3{font-size:14px;margin:16px 0 6px}
.charts{display:flex;flex-wrap:wrap;gap:8px}.chart{border:1px solid #eee;padding:4px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
table.samples pre{margin:0;white-space:pre-wrap;max-width:420px}pre.config{font-size:11px;background:#f7f7f7;padding:8px}`;

export async function buildReport(dirs: string[]): Promise<string> {
  if (dirs.length === 0) throw new UserError("name at least one run directory");
  const evals = dirs.flatMap((d) => readEval(d) ?? []);
  // A `still eval` output directory is not a run: it only adds an evaluation section.
  const runDirs = dirs.filter(
    (d) => existsSync(path.join(d, "metrics.jsonl")) || !existsSync(path.join(d, "summary.json")),
  );
  const runs = uniqueNames(runDirs.map(readRun));
  const compare = runs.length > 1;
  const charts: string[] = [];
  const constants: [string, Map<string, number>][] = [];
  for (const [metric, points] of metricSeries(runs)) {
    const fixed = constantValues(points);
    if (fixed !== null && new Set(points.map((p) => p.step)).size > 1) constants.push([metric, fixed]);
    else charts.push(`<div class="chart">${await renderSvg(chartSpec(metric, points, compare))}</div>`);
  }
  const title = `still-rl report: ${[...runs.map((r) => r.name), ...evals.map((e) => e.dir)].join(", ")}`;
  const runPart =
    runs.length === 0
      ? ""
      : `<table><thead><tr><th>run</th><th>directory</th><th>SFT steps</th><th>RL steps</th><th>eval accuracy at step 0</th><th>final eval accuracy</th><th>wall time (s)</th></tr></thead>
<tbody>${runs.map(summaryRow).join("\n")}</tbody></table>
<h2>Metrics</h2>
<div class="charts">
${charts.join("\n")}
</div>
${constantsTable(constants, runs)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
${runPart}
${evals.map(evalSection).join("\n")}
${runs.map(runSection).join("\n")}
</body></html>
`;
}

/** Writes the report for `dirs` to `out` and returns `out`. */
export async function writeReport(dirs: string[], out: string): Promise<string> {
  writeOutputFile(out, await buildReport(dirs));
  return out;
}

/**
 * Graded sample rows and the per-benchmark summary of an evaluation (report §2 and Table 4): pass@1 averaged
 * over the samples, pass@k, maj@k, mean length of correct vs incorrect responses, completion ratio and
 * reasoning-keyword ratios.
 */
import { compileKeywords, keywordRatios, REASONING_CATEGORIES } from "../rewards/keywords.js";
import { type VerifierPool, type VerifyOptions, type VerifyResult, verify } from "../verify/index.js";
import { majAtK, meanOver, meanPass1, type Outcome, passAtK } from "./metrics.js";

/** What generation produced for one (problem, sample). */
export interface Generated {
  response: string;
  /** "error": the request failed after its retries; the row is kept, flagged, and rerun on resume. */
  finish: "stop" | "length" | "error";
  /** Response length in tokens when the engine or server reports it. */
  tokens: number | null;
  error?: string;
  toolCalls?: number;
}

/** One line of samples.jsonl. */
export interface EvalRow {
  benchmark: string;
  /** Index of the problem in its benchmark file. */
  problem: number;
  id: string;
  sample: number;
  gold: string;
  response: string;
  finish: Generated["finish"];
  tokens: number | null;
  /** The answer the verifier took from the response (null: none found). */
  extracted: string | null;
  correct: boolean;
  /** The verifier's reason (`exact`, `mismatch`, `no-answer`, …), or `error` for a failed request. */
  reason: string;
  /** Responses per reasoning-keyword category containing one of its words (0 or 1 each). */
  keywords: Record<string, number>;
  error?: string;
  tool_calls?: number;
}

export interface BenchmarkSummary {
  benchmark: string;
  problems: number;
  /** Samples per problem. */
  samples: number;
  /** pass@1 averaged over the samples, then over problems. */
  accuracy: number;
  pass_at_k: Record<string, number>;
  maj_at_k: Record<string, number>;
  /** "tokens" when every row has a token count, else "chars". */
  length_unit: "tokens" | "chars";
  length_mean: number;
  length_correct_mean: number;
  length_incorrect_mean: number;
  /** Share of responses that ended on their own (not cut at max tokens, not failed). */
  completion_ratio: number;
  keyword_ratios: Record<string, number>;
  /** Rows whose request failed after retries (counted as incorrect). */
  errors: number;
  tool_calls_mean?: number;
}

const keywordMatcher = compileKeywords(REASONING_CATEGORIES);

export interface RowKey {
  benchmark: string;
  problem: number;
  id: string;
  sample: number;
  gold: string;
}

/**
 * Grade one response with the verifier's public entry point (or take the verdict already computed for it)
 * and count its reasoning keywords.
 */
export function gradeRow(
  key: RowKey,
  gen: Generated,
  options: VerifyOptions,
  verdict?: VerifyResult,
): EvalRow {
  const counts = keywordMatcher.count(gen.response);
  const keywords = Object.fromEntries(keywordMatcher.names.map((n, i) => [n, (counts[i] ?? 0) > 0 ? 1 : 0]));
  const base = { ...key, response: gen.response, finish: gen.finish, tokens: gen.tokens, keywords };
  const extra = {
    ...(gen.error === undefined ? {} : { error: gen.error }),
    ...(gen.toolCalls === undefined ? {} : { tool_calls: gen.toolCalls }),
  };
  if (gen.finish === "error") return { ...base, extracted: null, correct: false, reason: "error", ...extra };
  const v = verdict ?? verify(key.gold, gen.response, options);
  return { ...base, extracted: v.extracted, correct: v.correct, reason: v.reason, ...extra };
}

/**
 * Grade many responses: the verifier's batch API on worker threads while this thread counts keywords, so
 * grading uses every core. Same rows as gradeRow one by one.
 */
export async function gradeRows(
  items: readonly { key: RowKey; gen: Generated }[],
  options: VerifyOptions,
  pool: VerifierPool,
): Promise<EvalRow[]> {
  const graded = items.filter((it) => it.gen.finish !== "error");
  const pending = pool.verifyMany(
    graded.map((it) => ({ gold: it.key.gold, response: it.gen.response, options })),
  );
  const withoutVerdict = items.map((it) => gradeRow(it.key, it.gen, options, NO_VERDICT));
  const verdicts = await pending;
  let next = 0;
  return withoutVerdict.map((row, i) => {
    if (items[i]!.gen.finish === "error") return row;
    const v = verdicts[next++]!;
    return { ...row, extracted: v.extracted, correct: v.correct, reason: v.reason };
  });
}

/** Placeholder verdict while the pool verifies (replaced before the rows are returned). */
const NO_VERDICT: VerifyResult = { correct: false, extracted: null, reason: "pending" };

/** Summaries per benchmark, in order of first appearance; `ks` are the k of pass@k and maj@k (eval.k). */
export function summarize(rows: readonly EvalRow[], ks: readonly number[]): BenchmarkSummary[] {
  const byBenchmark = new Map<string, Map<number, EvalRow[]>>();
  for (const r of rows) {
    let problems = byBenchmark.get(r.benchmark);
    if (problems === undefined) {
      problems = new Map();
      byBenchmark.set(r.benchmark, problems);
    }
    const samples = problems.get(r.problem);
    if (samples === undefined) problems.set(r.problem, [r]);
    else samples.push(r);
  }
  return [...byBenchmark].map(([benchmark, problems]) => {
    const groups = [...problems.values()].map((g) => [...g].sort((a, b) => a.sample - b.sample));
    const n = Math.min(...groups.map((g) => g.length));
    const outcomes = groups.map((g) => g.map((r): Outcome => ({ correct: r.correct, answer: r.extracted })));
    const all = groups.flat();
    const unit = all.every((r) => r.tokens !== null) ? "tokens" : "chars";
    const len = (r: EvalRow) => (unit === "tokens" ? (r.tokens as number) : r.response.length);
    const mean = (xs: readonly EvalRow[]) =>
      xs.length === 0 ? Number.NaN : xs.reduce((a, r) => a + len(r), 0) / xs.length;
    const pass: Record<string, number> = {};
    const maj: Record<string, number> = {};
    for (const k of ks) {
      if (k > n) continue;
      pass[`pass@${k}`] = meanOver(outcomes, (o) => passAtK(o.length, o.filter((x) => x.correct).length, k));
      maj[`maj@${k}`] = meanOver(outcomes, (o) => majAtK(o, k));
    }
    const withTools = all.filter((r) => r.tool_calls !== undefined);
    return {
      benchmark,
      problems: groups.length,
      samples: n,
      accuracy: meanOver(outcomes, meanPass1),
      pass_at_k: pass,
      maj_at_k: maj,
      length_unit: unit,
      length_mean: mean(all),
      length_correct_mean: mean(all.filter((r) => r.correct)),
      length_incorrect_mean: mean(all.filter((r) => !r.correct)),
      completion_ratio: all.filter((r) => r.finish === "stop").length / all.length,
      keyword_ratios: keywordRatios(
        all.map((r) => keywordMatcher.names.map((k) => r.keywords[k] ?? 0)),
        keywordMatcher.names,
      ),
      errors: all.filter((r) => r.finish === "error").length,
      ...(withTools.length === 0
        ? {}
        : { tool_calls_mean: withTools.reduce((a, r) => a + (r.tool_calls ?? 0), 0) / withTools.length }),
    };
  });
}

function pct(v: number | undefined): string {
  return v === undefined || Number.isNaN(v) ? "-" : (100 * v).toFixed(1);
}

function num(v: number): string {
  return Number.isNaN(v) ? "-" : v.toFixed(0);
}

/** The terminal table: one line per benchmark, percentages. */
export function formatSummary(summaries: readonly BenchmarkSummary[]): string {
  const ks = [...new Set(summaries.flatMap((s) => Object.keys(s.pass_at_k)))].filter((k) => k !== "pass@1");
  const majs = [...new Set(summaries.flatMap((s) => Object.keys(s.maj_at_k)))].filter((k) => k !== "maj@1");
  const head = [
    "benchmark",
    "problems",
    "n",
    "pass@1",
    ...ks,
    ...majs,
    "len correct",
    "len wrong",
    "complete",
    ...keywordMatcher.names,
    "errors",
  ];
  const lines = summaries.map((s) => [
    s.benchmark,
    String(s.problems),
    String(s.samples),
    pct(s.accuracy),
    ...ks.map((k) => pct(s.pass_at_k[k])),
    ...majs.map((k) => pct(s.maj_at_k[k])),
    num(s.length_correct_mean),
    num(s.length_incorrect_mean),
    pct(s.completion_ratio),
    ...keywordMatcher.names.map((k) => pct(s.keyword_ratios[k])),
    String(s.errors),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const units = [...new Set(summaries.map((s) => s.length_unit))].join("/");
  return [
    row(head),
    `|${widths.map((w, i) => (i === 0 ? `-${"-".repeat(w)}-` : `${"-".repeat(w + 1)}:`)).join("|")}|`,
    ...lines.map(row),
    `(percent; lengths in ${units}; keyword columns: share of responses using the category's words)`,
  ].join("\n");
}

/**
 * Evaluation grading benchmark: 500 MATH-500 problems × 8 samples of ~4 KB responses, graded end to end from a
 * JSONL of responses (read, verify, reasoning keywords, pass@1/pass@k/maj@k summary), against the same grading
 * with Math-Verify in Python on the same file in the same run.
 * Run: npm run bench:eval
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { readRows } from "../../src/data/dataset.js";
import { type EvalRow, gradeRow, gradeRows, summarize } from "../../src/eval/summary.js";
import { pythonEnv, resolvePython } from "../../src/pyenv/python.js";
import { mulberry32 } from "../../src/util/rng.js";
import { VerifierPool } from "../../src/verify/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const SAMPLES = 8;
const KS = [1, 2, 4, 8];

const problems = readRows(path.join(root, "data/benchmarks/math500.jsonl")) as { answer: string }[];

const SENTENCES = [
  "Let me set up the problem carefully and name the unknown quantities.",
  "Wait, I should double-check the constraint before substituting $x = 3$ into $x^2 - 2x + 1$.",
  "Hmm, that gives $\\frac{7}{2}$, which does not look right; let me reconsider the second case.",
  "Alternatively, we can count the complement: $\\binom{10}{3} = 120$ and subtract the bad cases.",
  "But the sum $\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$ already covers that, so verify with $n = 4$.",
  "So far the computation is consistent: $2^{10} = 1024$ and $1024 \\bmod 7 = 2$.",
];

/** ~4 KB of reasoning, then the answer: boxed, boxed with a wrong value, or stated without a box. */
function response(i: number, s: number, random: () => number): string {
  let body = "";
  while (body.length < 3900) body += `${SENTENCES[Math.floor(random() * SENTENCES.length)]} `;
  const gold = problems[i]!.answer;
  const wrong = problems[(i + 250) % problems.length]!.answer;
  switch (s % 4) {
    case 0:
    case 1:
      return `${body}Therefore the answer is $\\boxed{${gold}}$.`;
    case 2:
      return `${body}Therefore the answer is $\\boxed{${wrong}}$.`;
    default:
      return `${body}The final answer is $${random() < 0.5 ? gold : wrong}$.`;
  }
}

const dir = mkdtempSync(path.join(tmpdir(), "still-bench-eval-"));
const file = path.join(dir, "responses.jsonl");
const random = mulberry32(7);
const lines: string[] = [];
problems.forEach((p, i) => {
  for (let s = 0; s < SAMPLES; s++) {
    lines.push(
      JSON.stringify({
        benchmark: "math500",
        problem: i,
        sample: s,
        gold: p.answer,
        response: response(i, s, random),
      }),
    );
  }
});
writeFileSync(file, `${lines.join("\n")}\n`);
const sizeMb = lines.reduce((a, l) => a + l.length + 1, 0) / 1e6;

interface Input {
  benchmark: string;
  problem: number;
  sample: number;
  gold: string;
  response: string;
}

/** Read, grade and summarise, as `still eval` does for each row it writes. */
function gradeFile(): { seconds: number; rows: EvalRow[] } {
  const t0 = performance.now();
  const rows = (readRows(file) as unknown as Input[]).map((r) =>
    gradeRow(
      { benchmark: r.benchmark, problem: r.problem, id: String(r.problem), sample: r.sample, gold: r.gold },
      { response: r.response, finish: "stop", tokens: null },
      { fallback: true },
    ),
  );
  summarize(rows, KS);
  return { seconds: (performance.now() - t0) / 1000, rows };
}

/** The same with the verifier's batch API on `threads` workers (keywords counted meanwhile on this thread). */
async function gradeFilePooled(pool: VerifierPool): Promise<{ seconds: number; rows: EvalRow[] }> {
  const t0 = performance.now();
  const rows = await gradeRows(
    (readRows(file) as unknown as Input[]).map((r) => ({
      key: {
        benchmark: r.benchmark,
        problem: r.problem,
        id: String(r.problem),
        sample: r.sample,
        gold: r.gold,
      },
      gen: { response: r.response, finish: "stop" as const, tokens: null },
    })),
    { fallback: true },
    pool,
  );
  summarize(rows, KS);
  return { seconds: (performance.now() - t0) / 1000, rows };
}

const best = <T extends { seconds: number }>(xs: T[]) => xs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
// Best of three passes: on a shared machine load only slows a pass down.
const passes = [gradeFile(), gradeFile(), gradeFile()];
const ours = best(passes);
const oursSummary = summarize(ours.rows, KS)[0]!;
const threads = availableParallelism();
const pool = new VerifierPool({ threads });
const pooledPasses = [await gradeFilePooled(pool), await gradeFilePooled(pool), await gradeFilePooled(pool)];
await pool.close();
const pooled = best(pooledPasses);
const pooledSame = pooled.rows.every((r, i) => JSON.stringify(r) === JSON.stringify(ours.rows[i]));

const py = resolvePython();
const { stdout } = await execa(
  py.executable,
  [path.join(root, "scripts/bench/eval_math_verify.py"), file, KS.join(",")],
  { env: pythonEnv(), maxBuffer: 1 << 28 },
);
const mv = JSON.parse(stdout) as { seconds: number; verdicts: boolean[]; summary: Record<string, number> };
rmSync(dir, { recursive: true, force: true });

const agree = ours.rows.filter((r, i) => r.correct === mv.verdicts[i]).length;
const n = ours.rows.length;
const pct = (v: number | undefined) => (v === undefined ? "-" : (100 * v).toFixed(1));
console.log(
  `eval grading bench: ${problems.length} MATH-500 problems × ${SAMPLES} samples = ${n} responses (~4 KB each, ${sizeMb.toFixed(1)} MB JSONL)`,
);
console.log(
  `machine: ${cpus()[0]?.model ?? "?"}, ${availableParallelism()} cores, node ${process.version}\n`,
);
console.log("| grader (end to end) | seconds | responses/s | pass@1 | pass@8 | maj@8 |");
console.log("|---|---:|---:|---:|---:|---:|");
console.log(
  `| still-rl (readRows + verify + keywords + summary) | ${ours.seconds.toFixed(2)} | ${(n / ours.seconds).toFixed(0)} | ${pct(oursSummary.accuracy)} | ${pct(oursSummary.pass_at_k["pass@8"])} | ${pct(oursSummary.maj_at_k["maj@8"])} |`,
);
console.log(
  `| still-rl, verifier on ${threads} worker threads (gradeRows) | ${pooled.seconds.toFixed(2)} | ${(n / pooled.seconds).toFixed(0)} | same rows: ${pooledSame} | | |`,
);
console.log(
  `| Math-Verify (Python, same file) | ${mv.seconds.toFixed(2)} | ${(n / mv.seconds).toFixed(0)} | ${pct(mv.summary["pass@1"])} | ${pct(mv.summary["pass@8"])} | ${pct(mv.summary["maj@8"])} |`,
);
console.log(
  `\nspeed-up vs Math-Verify: ${(mv.seconds / ours.seconds).toFixed(0)}x on one thread, ${(mv.seconds / pooled.seconds).toFixed(0)}x with ${threads} verifier workers; verdicts agree on ${agree}/${n}`,
);
console.log(
  `still-rl passes: ${passes.map((p) => p.seconds.toFixed(2)).join(", ")} s; with workers: ${pooledPasses.map((p) => p.seconds.toFixed(2)).join(", ")} s`,
);

/** `still report` on a `still eval` output directory: the evaluation section shows the summary and samples. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gradeRow, summarize } from "../../src/eval/summary.js";
import { buildReport } from "../../src/report/report.js";

const dir = mkdtempSync(path.join(tmpdir(), "still-report-eval-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeEval(out: string): void {
  mkdirSync(out, { recursive: true });
  const rows = [0, 1].flatMap((problem) =>
    [0, 1].map((sample) =>
      gradeRow(
        { benchmark: "aime24", problem, id: `p${problem}`, sample, gold: "12" },
        {
          response: sample === 0 ? "Wait, check: \\boxed{12}" : "so <b>\\boxed{13}</b>",
          finish: "stop",
          tokens: 10 + sample,
        },
        {},
      ),
    ),
  );
  writeFileSync(path.join(out, "samples.jsonl"), rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
  writeFileSync(
    path.join(out, "summary.json"),
    JSON.stringify({ generator: "hf:/m", benchmarks: summarize(rows, [1, 2]) }),
  );
}

describe("the report's evaluation section", () => {
  it("renders an eval directory alone: per-benchmark metrics, lengths correct vs incorrect, samples", async () => {
    const out = path.join(dir, "eval-only");
    writeEval(out);
    const html = await buildReport([out]);
    expect(html).toContain("<h2>Evaluation <small>");
    // pass@1 50.0, pass@2 100.0, maj@2 100.0 (each problem ties 1-1; the first answer, the correct one, wins)
    expect(html).toMatch(
      /<td>aime24<\/td><td>2<\/td><td>2<\/td><td>50\.0<\/td><td>100\.0<\/td><td>100\.0<\/td><td>10<\/td><td>11<\/td><td>tokens<\/td>/,
    );
    expect(html).toContain("&lt;b&gt;\\boxed{13}&lt;/b&gt;");
    expect(html).not.toContain("<h2>Metrics</h2>");
  });

  it("adds a run directory's eval/ beside its training charts", async () => {
    const run = path.join(dir, "run");
    mkdirSync(run, { recursive: true });
    writeFileSync(path.join(run, "metrics.jsonl"), '{"step":1,"train/reward_mean":0.5}\n');
    writeFileSync(path.join(run, "config.yaml"), "name: demo\n");
    writeEval(path.join(run, "eval"));
    const html = await buildReport([run]);
    expect(html).toContain("<h2>Metrics</h2>");
    expect(html).toContain(`<h2>Evaluation <small>${path.join(run, "eval")}`);
  });
});

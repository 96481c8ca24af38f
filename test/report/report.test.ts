import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildReport, metricSeries, readRun, wallTime, writeReport } from "../../src/report/report.js";

function fakeRun(root: string, name: string, accs: number[]): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, "samples"), { recursive: true });
  const lines = [
    { stage: "sft", step: 1, "sft/loss": 2.5 },
    { stage: "sft", step: 2, "sft/loss": 1.5 },
    { step: 0, "eval/accuracy": accs[0] },
    ...accs.slice(1).map((a, i) => ({
      step: i + 1,
      "train/accuracy": a,
      "eval/accuracy": a,
      "train/lr": 2e-6,
      "time/step_s": 0.5 + i,
      "time/elapsed_s": 40 + 30 * i,
    })),
  ];
  writeFileSync(path.join(dir, "metrics.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n"));
  writeFileSync(
    path.join(dir, "config.yaml"),
    `name: ${name}\nseed: 1\nprompt:\n  text: "<b>{question}</b>"\n`,
  );
  writeFileSync(
    path.join(dir, "samples", "train.jsonl"),
    `${JSON.stringify({ step: 1, prompt: "Q: max of 1 2 3\nA: ", response: "\\boxed{3}", answer: "3", reward: 1 })}\n`,
  );
  writeFileSync(
    path.join(dir, "samples", "eval.jsonl"),
    `${JSON.stringify({ step: 0, question: "max of 4 5 6", response: "<script>x</script>", answer: "6", correct: false })}\n`,
  );
  return dir;
}

describe("report", () => {
  const root = mkdtempSync(path.join(tmpdir(), "still-report-"));
  const a = fakeRun(root, "kl-none", [0.3, 0.5, 0.9]);
  const b = fakeRun(root, "kl-cosine", [0.35, 0.6, 0.95]);

  it("collects every numeric metric of every run, eval accuracy first", () => {
    const series = metricSeries([readRun(a), readRun(b)]);
    expect([...series.keys()]).toEqual([
      "eval/accuracy",
      "train/accuracy",
      "train/lr",
      "time/step_s",
      "sft/loss",
    ]);
    expect(series.get("eval/accuracy")).toEqual([
      { run: "kl-none", step: 0, value: 0.3 },
      { run: "kl-none", step: 1, value: 0.5 },
      { run: "kl-none", step: 2, value: 0.9 },
      { run: "kl-cosine", step: 0, value: 0.35 },
      { run: "kl-cosine", step: 1, value: 0.6 },
      { run: "kl-cosine", step: 2, value: 0.95 },
    ]);
  });

  it("renders one SVG chart per metric with both runs, the config and escaped samples, without scripts", async () => {
    const html = await buildReport([a, b]);
    // train/lr never changes: a table row, not a fifth chart.
    expect(html.match(/<svg/g)?.length).toBe(4);
    expect(html).toContain("kl-none");
    expect(html).toContain("kl-cosine");
    expect(html).toContain("sft/loss");
    expect(html).toContain("&lt;b&gt;{question}&lt;/b&gt;");
    expect(html).toContain("&lt;script&gt;x&lt;/script&gt;");
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    // Final eval accuracy appears in the summary table.
    expect(html).toContain("<td>0.950</td>");
  });

  it("puts never-changing metrics in a table with their exact values", async () => {
    const html = await buildReport([a, b]);
    expect(html).toMatch(/<tr><td>train\/lr<\/td><td>2e-6<\/td><td>2e-6<\/td><\/tr>/);
    expect(html).not.toMatch(/\d\.0{4,}/);
  });

  it("draws a legend only when runs are compared, and every chart has the same size", async () => {
    const sizes = (html: string) =>
      new Set([...html.matchAll(/<svg[^>]*width="(\d+)" height="(\d+)"/g)].map((m) => `${m[1]}x${m[2]}`));
    const one = await buildReport([a]);
    const two = await buildReport([a, b]);
    expect(one).not.toContain('class="mark-symbol role-legend-symbol');
    expect(one).not.toMatch(/role-legend/);
    expect(two).toMatch(/role-legend/);
    expect([...sizes(one)]).toEqual(["340x180"]);
    expect([...sizes(two)]).toEqual(["340x180"]);
  });

  it("reports the wall time the console printed: the last time/elapsed_s", async () => {
    expect(wallTime(readRun(a))).toBe(70);
    const html = await buildReport([a]);
    expect(html).toMatch(/<td>0\.900<\/td><td>70<\/td><\/tr>/);
  });

  it("tells same-named runs apart and writes the file", async () => {
    const out = path.join(root, "r.html");
    await writeReport([a, a], out);
    const html = readFileSync(out, "utf8");
    expect(html).toContain("kl-none (2)");
  });

  it("names a directory that is not a run", async () => {
    await expect(buildReport([root])).rejects.toThrow("not a run directory");
  });
});

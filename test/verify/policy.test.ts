import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runConfigSchema } from "../../src/config/index.js";
import { judge } from "../../src/rewards/analyze.js";
import { planFromConfig } from "../../src/rewards/plan.js";
import { serveRewards } from "../../src/rewards/service.js";
import { verify } from "../../src/verify/index.js";
import { DEFAULT_POLICY, resolvePolicy } from "../../src/verify/policy.js";
import { runCli } from "../helpers/cli.js";

type Verdict = "correct" | "wrong" | "unanswered";

/** One table, graded by every entry point: the grading policy is the same everywhere (issue 14). */
const SHARED: [gold: string, response: string, verdict: Verdict][] = [
  ["6", "So \\boxed{5}. Wait, actually \\boxed{6}.", "correct"],
  ["5", "So \\boxed{5}. Wait, actually \\boxed{6}.", "wrong"],
  ["6", "\\boxed{5}. Wait, \\boxed{6}", "correct"],
  ["1, 2", "$\\boxed{1}$ and $\\boxed{2}$", "wrong"],
  ["3", "The answer is \\boxed{3", "unanswered"],
  ["3", "First \\boxed{2}, then finally \\boxed{3", "unanswered"],
  ["7", "…so we get 7.", "unanswered"],
  ["7", "The final answer is $7$. I hope it is correct.", "unanswered"],
  ["\\frac13", "\\boxed{0.333}", "correct"],
  ["\\frac13", "\\boxed{0.3}", "wrong"],
  ["0.066666793", "\\boxed{0.0666668}", "correct"],
  ["2", "\\boxed{2.0001}", "wrong"],
  ["[1, \\infty)", "\\boxed{[2^{1/2^{1000}}, \\infty)}", "wrong"],
  ["10\\%", "\\boxed{10}", "correct"],
  ["\\frac{\\pi}{2}", "\\boxed{90^\\circ}", "correct"],
  ["x = 5", "\\boxed{5}", "correct"],
  ["12", "the answer is \\boxed{12^{th}}", "correct"],
  ["42", "", "unanswered"],
];

const verdictOf = (r: { correct: boolean; extracted: string | null }): Verdict =>
  r.extracted === null ? "unanswered" : r.correct ? "correct" : "wrong";

const dir = mkdtempSync(path.join(tmpdir(), "still-policy-"));

function parseLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("one grading policy", () => {
  it("verify() with default options", () => {
    expect(SHARED.map(([g, r]) => verdictOf(verify(g, r)))).toEqual(SHARED.map((s) => s[2]));
  });

  it("the training reward's judge (used by still reward test and still reward serve)", () => {
    const got = SHARED.map(([groundTruth, response]) => judge({ groundTruth, response }, "boxed").verdict);
    expect(got).toEqual(SHARED.map((s) => s[2]));
  });

  it("still verify --input, with the reason of every line", async () => {
    const input = path.join(dir, "shared.jsonl");
    writeFileSync(input, SHARED.map(([gold, pred]) => JSON.stringify({ gold, pred })).join("\n"));
    const r = await runCli(["verify", "--input", input]);
    expect(r.code).toBe(0);
    const rows = parseLines(r.stdout);
    expect(rows.map((x) => verdictOf(x as { correct: boolean; extracted: string | null }))).toEqual(
      SHARED.map((s) => s[2]),
    );
    for (const x of rows) expect(typeof x.reason).toBe("string");
  });

  it("still verify --gold --pred", async () => {
    for (const [gold, pred, verdict] of SHARED.filter((s) => s[1] !== "")) {
      const r = await runCli(["verify", "--gold", gold, "--pred", pred]);
      expect(verdictOf(JSON.parse(r.stdout)), `${gold} | ${pred}`).toBe(verdict);
    }
  });

  it("still reward test (the reward workers)", async () => {
    const config = path.join(dir, "run.yaml");
    writeFileSync(
      config,
      [
        "model: { path: m }",
        "rewards:",
        "  components:",
        "    - { name: correctness, variant: still_1p5b }",
        "",
      ].join("\n"),
    );
    const input = path.join(dir, "samples.jsonl");
    writeFileSync(
      input,
      SHARED.map(([ground_truth, response]) => JSON.stringify({ prompt: "q", response, ground_truth })).join(
        "\n",
      ),
    );
    const r = await runCli(["reward", "test", "--config", config, "--input", input]);
    expect(r.code, r.stderr).toBe(0);
    const byScore: Record<number, Verdict> = { 1: "correct", [-1]: "wrong", [-2]: "unanswered" };
    const got = parseLines(r.stdout).map(
      (x) => byScore[(x.components as { correctness: number }).correctness],
    );
    expect(got).toEqual(SHARED.map((s) => s[2]));
  });

  it("still reward serve (OpenRLHF HTTP contract)", async () => {
    const plan = planFromConfig(
      runConfigSchema.parse({
        model: { path: "m" },
        rewards: { components: [{ name: "correctness", variant: "still_1p5b" }] },
      }),
      dir,
    );
    const service = await serveRewards(plan, {
      http: { port: 0, maxBodyBytes: 1_000_000 },
      threads: 1,
      signals: false,
    });
    try {
      const prompt = "<|User|>q<|Assistant|>";
      const res = await fetch(`${service.http!.url}/get_reward`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: SHARED.map(([, response]) => `${prompt}${response}`),
          prompts: SHARED.map(() => prompt),
          labels: SHARED.map(([gold]) => gold),
        }),
      });
      const body = (await res.json()) as { extra_logs: { correctness: number[] } };
      const byScore: Record<number, Verdict> = { 1: "correct", [-1]: "wrong", [-2]: "unanswered" };
      expect(body.extra_logs.correctness.map((c) => byScore[c])).toEqual(SHARED.map((s) => s[2]));
    } finally {
      await service.stop();
    }
  });

  it("options change the verdict the same way everywhere: --boxes list, --bare, --fallback, tolerances", async () => {
    const cases: [string[], Parameters<typeof verify>[2], string, string, Verdict][] = [
      [["--boxes", "list"], { boxes: "list" }, "1, 2", "$\\boxed{1}$ and $\\boxed{2}$", "correct"],
      [["--bare"], { bareAnswer: true }, "7", "7", "correct"],
      [["--bare"], { bareAnswer: true }, "3", "\\boxed{3", "unanswered"],
      [["--fallback"], { fallback: true }, "7", "The final answer is $7$. I hope it is correct.", "correct"],
      [["--fallback"], { fallback: true }, "3", "so \\boxed{3", "unanswered"],
      [["--rel-tol", "1e-4"], { relTol: 1e-4 }, "2", "\\boxed{2.0001}", "correct"],
      [["--abs-tol", "0.01"], { absTol: 0.01 }, "2", "\\boxed{2.01}", "correct"],
    ];
    for (const [flags, options, gold, pred, verdict] of cases) {
      expect(verdictOf(verify(gold, pred, options)), `${flags.join(" ")}: ${pred}`).toBe(verdict);
      const r = await runCli(["verify", "--gold", gold, "--pred", pred, ...flags]);
      expect(verdictOf(JSON.parse(r.stdout)), `cli ${flags.join(" ")}: ${pred}`).toBe(verdict);
    }
  });

  it("has one set of defaults, shown in --help", async () => {
    expect(resolvePolicy()).toEqual(DEFAULT_POLICY);
    expect(resolvePolicy({ boxes: "list", relTol: undefined })).toEqual({ ...DEFAULT_POLICY, boxes: "list" });
    const help = await runCli(["verify", "--help"]);
    expect(help.stdout).toMatch(/LAST \\boxed/);
    expect(help.stdout).toMatch(/unclosed last box means no answer/);
    const bad = await runCli(["verify", "--gold", "1", "--pred", "1", "--rel-tol", "-1"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--rel-tol must be a number >= 0/);
  });
});

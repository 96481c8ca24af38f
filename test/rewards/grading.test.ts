import { describe, expect, it } from "vitest";
import { runConfigSchema } from "../../src/config/index.js";
import { judge } from "../../src/rewards/analyze.js";
import { planFromConfig } from "../../src/rewards/plan.js";
import { verify } from "../../src/verify/index.js";

const planFor = (correctness: Record<string, unknown>) =>
  planFromConfig(
    runConfigSchema.parse({
      model: { path: "m" },
      rewards: { components: [{ name: "correctness", ...correctness }] },
    }),
  );

describe("the correctness reward grades with the verifier's policy options", () => {
  it.each([
    // [reward options, gold, response, verdict]
    [{}, "1, 2", "So \\boxed{1}, \\boxed{2}", "wrong"],
    [{ boxes: "list" }, "1, 2", "So \\boxed{1}, \\boxed{2}", "correct"],
    [{ boxes: "list" }, "2", "\\boxed{5}. Wait, actually \\boxed{2}", "correct"],
    [{}, "3.14159", "\\boxed{3.1417}", "wrong"],
    [{ rel_tol: 1e-4 }, "3.14159", "\\boxed{3.1417}", "correct"],
    [{ abs_tol: 0.01 }, "10", "\\boxed{10.005}", "correct"],
    [{ abs_tol: 0.001 }, "10", "\\boxed{10.005}", "wrong"],
    [{ extract: "answer_tag" }, "42", "<answer>42</answer>", "correct"],
  ])("%j: %s vs %s is %s", (options, gold, response, verdict) => {
    const plan = planFor(options);
    expect(judge({ groundTruth: gold, response }, plan.grading).verdict).toBe(verdict);
  });

  it("gives the same verdict as verify() with the same options", () => {
    const plan = planFor({ boxes: "list", rel_tol: 1e-3 });
    const cases: [string, string][] = [
      ["1, 2", "\\boxed{1}, \\boxed{2}"],
      ["2.718", "\\boxed{2.7185}"],
      ["7", "\\boxed{8}"],
    ];
    for (const [gold, response] of cases) {
      const r = verify(gold, response, { boxes: "list", relTol: 1e-3 });
      expect(judge({ groundTruth: gold, response }, plan.grading).verdict).toBe(
        r.correct ? "correct" : "wrong",
      );
    }
  });
});

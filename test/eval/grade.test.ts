/** Grading rows: the batch path (verifier worker threads) gives exactly the rows of one-by-one grading. */
import { describe, expect, it } from "vitest";
import { type Generated, gradeRow, gradeRows } from "../../src/eval/summary.js";
import { VerifierPool } from "../../src/verify/index.js";

describe("gradeRow and gradeRows", () => {
  const items: { key: Parameters<typeof gradeRow>[0]; gen: Generated }[] = [
    ["12", "Wait, let me check. \\boxed{12}", "stop"],
    ["\\frac{1}{2}", "so \\boxed{0.5}", "stop"],
    ["7", "Hmm, I think \\boxed{8}", "length"],
    ["3", "no answer here", "stop"],
    ["3", "", "error"],
  ].map(([gold, response, finish], i) => ({
    key: { benchmark: "b", problem: i, id: `p${i}`, sample: 0, gold: gold! },
    gen: {
      response: response!,
      finish: finish as Generated["finish"],
      tokens: 5,
      ...(finish === "error" ? { error: "HTTP 503" } : {}),
    },
  }));

  it("records the verifier's verdict, extraction and reason, and keyword presence", () => {
    const rows = items.map((it) => gradeRow(it.key, it.gen, {}));
    expect(rows.map((r) => [r.correct, r.extracted, r.finish])).toEqual([
      [true, "12", "stop"],
      [true, "0.5", "stop"],
      [false, "8", "length"],
      [false, null, "stop"],
      [false, null, "error"],
    ]);
    expect(rows[3]!.reason).toBe("no-answer");
    expect(rows[4]).toMatchObject({ reason: "error", error: "HTTP 503" });
    expect(rows[0]!.keywords).toEqual({ reflection: 1, verification: 1, correction: 0 });
    expect(rows[2]!.keywords).toEqual({ reflection: 1, verification: 0, correction: 0 });
  });

  it("gives the same rows on worker threads", async () => {
    const pool = new VerifierPool({ threads: 2, chunkSize: 2 });
    try {
      expect(await gradeRows(items, {}, pool)).toEqual(items.map((it) => gradeRow(it.key, it.gen, {})));
    } finally {
      await pool.close();
    }
  });
});

import { describe, expect, it } from "vitest";
import { VerifierPool } from "../../src/verify/index.js";

const items = Array.from({ length: 9 }, (_, i) => ({
  gold: String(i),
  response: `\\boxed{${i % 2 ? i : i + 1}}`,
}));

describe("VerifierPool", () => {
  it("verifies a batch on worker threads in input order", async () => {
    const pool = new VerifierPool({ threads: 2, chunkSize: 2 });
    try {
      const r = await pool.verifyMany(items);
      expect(r.map((x) => x.correct)).toEqual(items.map((_, i) => i % 2 === 1));
      expect(r[3]?.extracted).toBe("3");
      // A second batch reuses the warm workers.
      expect((await pool.verifyMany(items.slice(0, 2))).map((x) => x.correct)).toEqual([false, true]);
    } finally {
      await pool.close();
    }
  });

  it("passes options through and verifies inline with 0 threads", async () => {
    const pool = new VerifierPool({ threads: 0 });
    const r = await pool.verifyMany([
      { gold: "42", response: "<answer>42</answer>", options: { format: "answer-tag" } },
    ]);
    expect(r).toEqual([{ correct: true, extracted: "42", reason: "identical" }]);
    await pool.close();
    await expect(pool.verifyMany(items)).rejects.toThrow(/closed/);
  });

  it("replaces a worker whose chunk overruns its deadline and reports a timeout instead of hanging", async () => {
    // Every item is bounded, so no input hangs a worker; a 1 ms deadline on a chunk of ~2 ms items stands in.
    const pool = new VerifierPool({ threads: 1, baseTimeoutMs: 1, msPerItem: 0 });
    const heavy = Array(166).fill("(x+y+1)").join("\\cdot");
    const slow = Array.from({ length: 64 }, (_, i) => ({ gold: heavy, response: `\\boxed{${heavy}+${i}}` }));
    try {
      const r = await pool.verifyMany(slow);
      expect(new Set(r.map((x) => x.reason))).toEqual(new Set(["timeout"]));
      expect(r).toHaveLength(64);
    } finally {
      await pool.close();
    }
  });
});

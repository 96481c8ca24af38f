import { describe, expect, it } from "vitest";
import { VerifierPool } from "../../src/verify/index.js";

describe("VerifierPool", () => {
  it("verifies a batch on worker threads in input order", async () => {
    const pool = new VerifierPool({ threads: 2, chunkSize: 2 });
    try {
      const items = Array.from({ length: 9 }, (_, i) => ({
        gold: String(i),
        response: `\\boxed{${i % 2 ? i : i + 1}}`,
      }));
      const r = await pool.verifyMany(items);
      expect(r.map((x) => x.correct)).toEqual(items.map((_, i) => i % 2 === 1));
      expect(r[3]?.extracted).toBe("3");
    } finally {
      await pool.close();
    }
  });
});

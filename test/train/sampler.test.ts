import { describe, expect, it } from "vitest";
import { drawBatch, epochOrder, INITIAL_SAMPLER_STATE, type SamplerState } from "../../src/train/sampler.js";
import { hashInts, permutation } from "../../src/util/rng.js";

describe("permutation", () => {
  it.each([1, 2, 7, 100])("is a permutation of 0..%i-1", (n) => {
    const p = permutation(n, 123);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
  });
  it("depends on the seed and only on it", () => {
    expect(permutation(50, 1)).toEqual(permutation(50, 1));
    expect(permutation(50, 1)).not.toEqual(permutation(50, 2));
  });
  it("hashes differ by argument order", () => {
    expect(hashInts(1, 2)).not.toBe(hashInts(2, 1));
  });
});

describe("drawBatch", () => {
  const opts = { size: 10, seed: 7, shuffle: true };
  it.each([
    [{ epoch: 0, cursor: 0 }, 4, { epoch: 0, cursor: 4 }],
    [{ epoch: 0, cursor: 8 }, 4, { epoch: 1, cursor: 2 }],
    [{ epoch: 2, cursor: 0 }, 10, { epoch: 3, cursor: 0 }],
    [{ epoch: 0, cursor: 5 }, 25, { epoch: 3, cursor: 0 }],
  ])("from %o draws %i and stops at %o", (state, count, next) => {
    expect(drawBatch(state, count, opts).next).toEqual(next);
  });

  it("visits every item once per epoch, in a fresh order each epoch", () => {
    const e0 = drawBatch(INITIAL_SAMPLER_STATE, 10, opts);
    const e1 = drawBatch(e0.next, 10, opts);
    expect([...e0.indices].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...e1.indices].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(e0.indices).not.toEqual(e1.indices);
    expect(e1.epochs).toEqual(Array(10).fill(1));
  });

  it("a run restarted from any saved state continues with the same batches", () => {
    const uninterrupted: number[][] = [];
    let state: SamplerState = INITIAL_SAMPLER_STATE;
    for (let i = 0; i < 9; i++) {
      const d = drawBatch(state, 3, opts);
      uninterrupted.push(d.indices);
      state = d.next;
    }
    for (let cut = 1; cut < 9; cut++) {
      let s: SamplerState = INITIAL_SAMPLER_STATE;
      for (let i = 0; i < cut; i++) s = drawBatch(s, 3, opts).next;
      let restored = JSON.parse(JSON.stringify(s)) as SamplerState;
      const resumed: number[][] = [];
      for (let i = cut; i < 9; i++) {
        const d = drawBatch(restored, 3, opts);
        resumed.push(d.indices);
        restored = d.next;
      }
      expect(resumed).toEqual(uninterrupted.slice(cut));
    }
  });

  it("keeps file order without shuffle", () => {
    expect(epochOrder(3, { size: 4, seed: 1, shuffle: false })).toEqual([0, 1, 2, 3]);
    expect(drawBatch({ epoch: 0, cursor: 3 }, 3, { size: 4, seed: 1, shuffle: false }).indices).toEqual([
      3, 0, 1,
    ]);
  });

  it.each([
    [{ epoch: 0, cursor: 10 }, "outside"],
    [{ epoch: 0, cursor: -1 }, "outside"],
  ])("rejects a corrupt state %o", (state, message) => {
    expect(() => drawBatch(state, 1, opts)).toThrow(message);
  });
});

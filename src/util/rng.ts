/**
 * Seeded randomness. Every random choice of a run is a pure function of (seed, purpose, step), so a
 * resumed run draws exactly what an uninterrupted one would without saving any generator state.
 */

/** 32-bit hash of a list of integers (FNV-1a over their 4-byte little-endian forms, then an avalanche mix). */
export function hashInts(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    let x = v | 0;
    for (let i = 0; i < 4; i++) {
      h ^= x & 0xff;
      h = Math.imul(h, 0x01000193);
      x >>>= 8;
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mulberry32: small, fast, and good enough for shuffles and sampling (not for cryptography). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A permutation of 0..n-1 (Fisher–Yates) drawn from `seed`. */
export function permutation(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const rand = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Purposes of derived seeds, so two uses at the same step never share a stream. */
export const SEED_PURPOSE = {
  shuffle: 1,
  rollout: 2,
  update: 3,
  evalSampled: 4,
  sft: 5,
  samples: 6,
} as const;

/** A non-negative 31-bit seed for `purpose` at `step` (engines take it as a plain int). */
export function deriveSeed(seed: number, purpose: keyof typeof SEED_PURPOSE, step: number): number {
  return hashInts(seed, SEED_PURPOSE[purpose], step) & 0x7fffffff;
}

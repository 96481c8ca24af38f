/**
 * Duplicate removal and benchmark decontamination on normalised question text: exact duplicates, near
 * duplicates (Jaccard similarity of word 3-gram shingles, candidates found with MinHash LSH, then checked
 * exactly), and word n-gram overlap with benchmark problems.
 */

/** Lower case, letters and digits only, single spaces: "What is $2+2$?" and "what is 2 + 2" agree. */
export function normalizeText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

export function wordNgrams(text: string, n: number): string[] {
  const words = normalizeText(text).split(" ").filter(Boolean);
  if (words.length < n) return words.length === 0 ? [] : [words.join(" ")];
  const out: string[] = [];
  for (let i = 0; i + n <= words.length; i++) out.push(words.slice(i, i + n).join(" "));
  return out;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let both = 0;
  for (const x of a) if (b.has(x)) both++;
  return both / (a.size + b.size - both);
}

const BANDS = 16;
const ROWS = 4;

/** Odd multipliers and offsets of the MinHash permutations (fixed, so results do not vary run to run). */
const PERMS = Array.from({ length: BANDS * ROWS }, (_, i) => [
  (Math.imul(i + 1, 0x9e3779b1) | 1) >>> 0,
  Math.imul(i + 7, 0x85ebca6b) >>> 0,
]);

function minhash(shingles: ReadonlySet<string>): Uint32Array {
  const sig = new Uint32Array(PERMS.length).fill(0xffffffff);
  for (const s of shingles) {
    const h = hashString(s);
    for (let p = 0; p < PERMS.length; p++) {
      const v = (Math.imul(PERMS[p]![0]!, h) + PERMS[p]![1]!) >>> 0;
      if (v < sig[p]!) sig[p] = v;
    }
  }
  return sig;
}

/**
 * For each text, the index of an earlier text it duplicates (exactly after normalisation, or with shingle
 * Jaccard >= threshold), or -1. The first of a group is kept.
 */
export function findDuplicates(
  texts: readonly string[],
  near: { enabled: boolean; threshold: number },
): { of: number; similarity: number }[] {
  const exact = new Map<string, number>();
  const shingles = texts.map((t) => new Set(wordNgrams(t, 3)));
  const buckets = new Map<string, number[]>();
  return texts.map((t, i) => {
    const key = normalizeText(t);
    const first = exact.get(key);
    if (first !== undefined) return { of: first, similarity: 1 };
    exact.set(key, i);
    if (!near.enabled) return { of: -1, similarity: 0 };
    const sig = minhash(shingles[i]!);
    const candidates = new Set<number>();
    const keys: string[] = [];
    for (let b = 0; b < BANDS; b++) {
      const k = `${b}:${Array.from(sig.subarray(b * ROWS, (b + 1) * ROWS)).join(",")}`;
      keys.push(k);
      for (const j of buckets.get(k) ?? []) candidates.add(j);
    }
    let best = { of: -1, similarity: 0 };
    for (const j of [...candidates].sort((x, y) => x - y)) {
      const s = jaccard(shingles[i]!, shingles[j]!);
      if (s >= near.threshold && s > best.similarity) best = { of: j, similarity: s };
    }
    // Only kept texts go into the index: a later text is compared with what survives.
    if (best.of === -1) {
      for (const k of keys) {
        const list = buckets.get(k);
        if (list === undefined) buckets.set(k, [i]);
        else list.push(i);
      }
    }
    return best;
  });
}

export interface BenchmarkText {
  benchmark: string;
  id: string;
  text: string;
}

export interface Contamination {
  benchmark: string;
  id: string;
  /** Share of the row's word n-grams found in that benchmark problem. */
  overlap: number;
}

/**
 * An index of benchmark problems' word n-grams. `check` gives the benchmark problem sharing the largest share
 * of a text's n-grams when that share reaches `threshold` (a text shorter than n words is one n-gram: itself).
 */
export function contaminationIndex(problems: readonly BenchmarkText[], n: number, threshold: number) {
  const index = new Map<string, number[]>();
  problems.forEach((p, i) => {
    for (const g of new Set(wordNgrams(p.text, n))) {
      const list = index.get(g);
      if (list === undefined) index.set(g, [i]);
      else list.push(i);
    }
  });
  return {
    check(text: string): Contamination | null {
      const grams = [...new Set(wordNgrams(text, n))];
      if (grams.length === 0) return null;
      const hits = new Map<number, number>();
      for (const g of grams) for (const i of index.get(g) ?? []) hits.set(i, (hits.get(i) ?? 0) + 1);
      let best: Contamination | null = null;
      for (const [i, count] of hits) {
        const overlap = count / grams.length;
        if (overlap >= threshold && (best === null || overlap > best.overlap)) {
          best = { benchmark: problems[i]!.benchmark, id: problems[i]!.id, overlap };
        }
      }
      return best;
    },
  };
}

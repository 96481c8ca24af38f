/**
 * Keyword counting for the reasoning-action reward (RRA) and the "aha moment" keyword-ratio metric, in one
 * pass over the text whatever the number of keyword sets.
 *
 * Matching rule: case-insensitive, whole word. A keyword matches where it is neither preceded nor followed by
 * an ASCII letter, digit or underscore. So "but" counts in "But,", "—but" and "“but”", and not in "butter",
 * "rebut" or "but_x". Anything outside ASCII (em dashes, curly quotes, CJK) is a boundary: LLM text puts those
 * next to English words far more often than it glues non-ASCII letters to them. Matches do not overlap: at one
 * position the longest keyword wins ("double-check" is one match, not also "check").
 */

/** Named keyword lists, e.g. `{ action: ["wait", "but"], reflection: [...] }`. */
export type KeywordSets = Record<string, readonly string[]>;

/** Counts per set name, in the order of the sets given to `compileKeywords`. */
export interface KeywordMatcher {
  readonly names: readonly string[];
  /** Occurrences of each set's keywords in `text`, indexed like `names`. */
  count(text: string): number[];
}

/** The keywords of the report's RRA reward (§4.2.1): `A_i` counts these. */
export const RRA_KEYWORDS: readonly string[] = ["however", "but", "wait", "verify", "alternatively"];

/**
 * Categories of the reasoning-keyword ratio curves (report §3.2, Figure 4). The report names the categories
 * and, for correction, the words "correct", "revise", "adjust"; the other lists are ours.
 */
export const REASONING_CATEGORIES: KeywordSets = {
  reflection: ["wait", "hmm", "however", "but", "alternatively", "reconsider", "rethink"],
  verification: ["verify", "check", "double-check", "double check", "confirm", "validate"],
  correction: ["correct", "revise", "adjust", "mistake", "wrong", "fix"],
};

// Lower-cased code of an ASCII word character, 0 for a boundary (anything else, including non-ASCII).
const WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[a-z0-9_]/.test(ch)) WORD[c] = c;
  else if (/[A-Z]/.test(ch)) WORD[c] = c + 32;
}

function wordCode(c: number): number {
  return c < 128 ? WORD[c]! : 0;
}

interface Entry {
  /** Lower-cased keyword char codes after the first. */
  rest: Uint16Array;
  length: number;
  sets: number[];
}

/** Compile keyword sets into a matcher. Keywords must be ASCII and start and end with a letter or digit. */
export function compileKeywords(sets: KeywordSets): KeywordMatcher {
  const names = Object.keys(sets);
  const byText = new Map<string, number[]>();
  names.forEach((name, i) => {
    for (const raw of sets[name]!) {
      const kw = raw.toLowerCase();
      if (!/^[a-z0-9](?:[\x20-\x7e]*[a-z0-9])?$/.test(kw)) {
        throw new Error(
          `keyword ${JSON.stringify(raw)} in "${name}": keywords must be ASCII and start and end with a letter or digit`,
        );
      }
      const owners = byText.get(kw) ?? [];
      if (!owners.includes(i)) owners.push(i);
      byText.set(kw, owners);
    }
  });
  // Candidates by first char, longest first so that the longest keyword wins at a position.
  const byFirst: (Entry[] | undefined)[] = new Array(128);
  for (const [kw, owners] of [...byText].sort((a, b) => b[0].length - a[0].length)) {
    const first = kw.charCodeAt(0);
    const rest = new Uint16Array(kw.length - 1);
    for (let j = 1; j < kw.length; j++) rest[j - 1] = kw.charCodeAt(j);
    const list = byFirst[first] ?? [];
    list.push({ rest, length: kw.length, sets: owners });
    byFirst[first] = list;
  }
  return { names, count: (text) => scan(text, byFirst, names.length) };
}

function scan(s: string, byFirst: (Entry[] | undefined)[], nSets: number): number[] {
  const counts = new Array<number>(nSets).fill(0);
  const n = s.length;
  let i = 0;
  while (i < n) {
    const w = wordCode(s.charCodeAt(i));
    if (w === 0) {
      i++;
      continue;
    }
    // i is the start of a word.
    const cands = byFirst[w];
    if (cands !== undefined) {
      for (const e of cands) {
        const end = i + e.length;
        if (end > n || (end < n && wordCode(s.charCodeAt(end)) !== 0)) continue;
        let ok = true;
        for (let j = 0; j < e.rest.length; j++) {
          const c = s.charCodeAt(i + 1 + j);
          const lc = c >= 65 && c <= 90 ? c + 32 : c;
          if (lc !== e.rest[j]) {
            ok = false;
            break;
          }
        }
        if (ok) {
          for (const k of e.sets) counts[k]!++;
          i = end;
          break;
        }
      }
    }
    while (i < n && wordCode(s.charCodeAt(i)) !== 0) i++;
  }
  return counts;
}

/**
 * The keyword-ratio metric over a batch: per category, the fraction of responses containing at least one of
 * its keywords. (The report plots "the proportion of these keywords in the responses" and reads about 0.1 at
 * step 0; the fraction of responses showing the action is the reading that fits that number.)
 */
export function keywordRatios(counts: readonly (readonly number[])[], names: readonly string[]) {
  const out: Record<string, number> = {};
  names.forEach((name, k) => {
    const hits = counts.filter((c) => (c[k] ?? 0) > 0).length;
    out[name] = counts.length === 0 ? 0 : hits / counts.length;
  });
  return out;
}

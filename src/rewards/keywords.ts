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
  /** The same on UTF-8 bytes (what the bridge delivers), without decoding them. */
  countBytes(bytes: Uint8Array): number[];
}

/** The keywords of the report's RRA reward (§4.2.1): `A_i` counts these (the config's default list). */
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

/** Compile keyword sets into a matcher. Keywords must be ASCII and start and end with a letter or digit. */
export function compileKeywords(sets: KeywordSets): KeywordMatcher {
  const names = Object.keys(sets);
  const owners = new Map<string, number[]>();
  names.forEach((name, i) => {
    for (const raw of sets[name]!) {
      const kw = raw.toLowerCase();
      if (!/^[a-z0-9](?:[\x20-\x7e]*[a-z0-9])?$/.test(kw)) {
        throw new Error(
          `keyword ${JSON.stringify(raw)} in "${name}": keywords must be ASCII and start and end with a letter or digit`,
        );
      }
      const list = owners.get(kw) ?? [];
      if (!list.includes(i)) list.push(i);
      owners.set(kw, list);
    }
  });
  // One regular expression for every keyword: V8 compiles it to machine code that scans several times faster
  // than a hand-written loop. Without the `u` flag, `\b` is the ASCII word boundary described above and `i`
  // folds only ASCII letters onto ASCII letters. Longest first, so the longest keyword wins at a position.
  const alternatives = [...owners.keys()]
    .sort((a, b) => b.length - a.length)
    .map((k) => k.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&"));
  const re = alternatives.length > 0 ? new RegExp(`\\b(?:${alternatives.join("|")})\\b`, "gi") : undefined;
  // Which keyword matched is read off the text at the match's end, so the scan uses `test` (no match array, no
  // substring, no lower-casing per match: at hundreds of matches per response those allocations cost more than
  // the scan). Candidates are bucketed by their last character, longest first.
  const byLast: Candidate[][] = Array.from({ length: 128 }, () => []);
  for (const [kw, sets] of [...owners].sort((a, b) => b[0].length - a[0].length)) {
    const codes = Array.from(kw, (ch) => ch.charCodeAt(0));
    byLast[codes.at(-1)!]!.push({ codes, owners: sets });
  }
  const count = (text: string) => {
    const counts = new Array<number>(names.length).fill(0);
    if (re === undefined) return counts;
    re.lastIndex = 0;
    let searchedFrom = 0;
    while (re.test(text)) {
      const end = re.lastIndex;
      const matched = matchedKeyword(text, end, searchedFrom, byLast);
      for (const k of matched.owners) counts[k]!++;
      searchedFrom = end;
    }
    return counts;
  };
  return {
    names,
    count,
    // Latin-1 decoding maps each byte to one character (a copy at memory speed): ASCII stays itself and every
    // byte of a multi-byte UTF-8 character becomes a non-ASCII character, a boundary as it is in the text.
    countBytes: (bytes) =>
      count(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1")),
  };
}

interface Candidate {
  /** Lower-case character codes of the keyword. */
  codes: number[];
  /** Indexes of the sets it belongs to. */
  owners: number[];
}

/** ASCII letter, digit or underscore: the characters `\\b` (without the `u` flag) counts as word characters. */
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/**
 * The keyword the regular expression just matched, ending at `end`, in a search that started at `from`. The
 * match is the leftmost one at or after `from` (with a word boundary before it), longest keyword first at that
 * position; a longer keyword that also ends at `end`, starts at or after `from` after a boundary and equals the
 * text would have been matched further left. So it is the longest such keyword: the same the match holds.
 */
function matchedKeyword(text: string, end: number, from: number, byLast: Candidate[][]): Candidate {
  // Keywords end with a letter or digit; `| 0x20` lower-cases an ASCII letter and leaves digits as they are.
  for (const cand of byLast[text.charCodeAt(end - 1) | 0x20]!) {
    const codes = cand.codes;
    const start = end - codes.length;
    if (start < from || (start > 0 && isWordChar(text.charCodeAt(start - 1)))) continue;
    let equal = true;
    for (let j = 0; j < codes.length && equal; j++) {
      const w = codes[j]!;
      const c = text.charCodeAt(start + j);
      // Case-insensitive without the `u` flag folds ASCII letters only.
      equal = w >= 97 && w <= 122 ? (c | 0x20) === w : c === w;
    }
    if (equal) return cand;
  }
  throw new Error("keyword matcher: a match that no keyword explains (a bug)");
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

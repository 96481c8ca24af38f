/**
 * Tool-data synthesis for SFT (report §4.4), after STILL-3-TOOL/data_synthesis/coding_by_thinking.py: split a
 * long chain of thought where it turns ("Wait", "But", ...), keep a random prefix of the pieces, and end it with
 * a sentence that announces code plus an opening ```python fence. A model then continues each request with
 * tool execution (runToolRollouts); `keepToolResponse` decides what goes into the SFT set.
 */

import { pyStrip } from "./dialect.js";

/** `key_words` of coding_by_thinking.py. Matched as substrings, as `re.split` does there ("Butter" splits). */
export const STILL_KEYWORDS = ["Wait", "But", "Alternatively", "Hmm", "Moreover", "Furthermore"] as const;

/** `code_prefix` of coding_by_thinking.py, in its order. */
export const STILL_CODE_PREFIXES = [
  "Hmm, I think it's time to write some Python code to help me sort out my thoughts.",
  "Wait a minute, maybe I could use some code to double-check my reasoning.",
  "Alright, let me just whip up a quick Python script to clarify my thinking.",
  "Hmm, perhaps coding could assist in verifying my thought process.",
  "Hold on, I might be able to use some code to validate my conclusions.",
  "Okay, I should probably create a few Python snippets to help organize my ideas.",
  "Wait, it just hit me—using code might help confirm my thought patterns.",
  "Hmm, I wonder if writing some Python could shed light on my reasoning.",
  "Okay, it's time to leverage Python code to make my thoughts clearer:",
  "Hmm, perhaps I could utilize code to check the validity of my reasoning:",
  "Let me see if simulating this problem with Python aligns with my expectations:",
  "I believe that coding will enhance my understanding of this concept:",
  "Maybe by crafting some straightforward Python scripts, I can analyze this issue more efficiently:",
  "Wait a second, I might be able to use code to validate my thought process:",
] as const;

/** Fewer pieces than this and the thought is left alone (`if piece_num < 5: return None`). */
export const MIN_PIECES = 5;

export interface InjectOptions {
  keywords: readonly string[];
  prefixes: readonly string[];
  /** Uniform in [0, 1). */
  random: () => number;
}

/**
 * `split_string_by_keywords`: the text before the first keyword is one piece, then each piece starts at a
 * keyword occurrence and runs to the next; pieces are stripped (Python `str.strip`), empty ones kept.
 */
export function splitAtKeywords(text: string, keywords: readonly string[]): string[] {
  if (keywords.some((k) => k === "")) throw new Error("split keywords must not be empty");
  const starts =
    keywords.length === 0
      ? []
      : [
          ...text.matchAll(
            new RegExp(keywords.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g"),
          ),
        ].map((m) => m.index);
  const pieces: string[] = [];
  const lead = text.slice(0, starts[0] ?? text.length);
  if (lead !== "") pieces.push(lead);
  starts.forEach((at, i) => {
    pieces.push(text.slice(at, starts[i + 1] ?? text.length));
  });
  return pieces.map(pyStrip);
}

/** Python's `random.randint(lo, hi)`: inclusive on both ends. */
function randint(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** `random_combine_pieces`: the first k pieces joined by blank lines, k uniform in [floor(n/3), n]; or null. */
export function cutAtRandomPiece(pieces: readonly string[], random: () => number): string | null {
  const n = pieces.length;
  if (n < MIN_PIECES) return null;
  return pieces.slice(0, randint(random, Math.floor(n / 3), n)).join("\n\n");
}

/**
 * The continuation request for one chain of thought (the part before `</think>`, with `<think>` removed), or
 * null when it has too few pieces: `sub_response + "\n\n" + prefix + "\n```python"`.
 */
export function injectToolCall(response: string, options: InjectOptions): string | null {
  if (options.prefixes.length === 0) throw new Error("injectToolCall needs at least one prefix");
  const thought = response.replace("<think>", "").split("</think>")[0]!;
  const cut = cutAtRandomPiece(splitAtKeywords(thought, options.keywords), options.random);
  if (cut === null) return null;
  const prefix = options.prefixes[Math.floor(options.random() * options.prefixes.length)]!;
  return `${cut}\n\n${prefix}\n\`\`\`python`;
}

/** A python block closed by a fence somewhere in the response (the filter's "contains a code snippet"). */
export function hasCodeBlock(response: string): boolean {
  return /```python\n[\s\S]*?```/.test(response);
}

import { WORDS } from "./lexer.js";

/** Finding the final answer in a model response: boxes, `<answer>` tags, and evaluation-only fallbacks. */

/** An extracted answer: one string per box (several when boxes are adjacent), or null when there is none. */
export type Extracted = string[] | null;

interface Box {
  start: number;
  end: number;
  content: string;
}

const BOX_COMMANDS = ["\\boxed", "\\fbox"];

/** End index (exclusive) of the brace group opening at `open`, honouring `\{`/`\}`; -1 when unbalanced. */
export function matchBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) {
      i++;
      continue;
    }
    if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * All outermost `\boxed{…}`, `\boxed x` and `\fbox{…}`, left to right; null when the last one is never closed
 * (a response cut off or stopped inside its box has not said what it boxes, and a reward that took the rest
 * would teach the policy to drop the closing brace).
 */
function findBoxes(s: string): Box[] | null {
  const boxes: Box[] = [];
  // Next occurrence of each command at or after i, searched again only once passed (linear overall).
  const next = BOX_COMMANDS.map((c) => s.indexOf(c));
  let i = 0;
  while (i < s.length) {
    let at = -1;
    let cmd = "";
    BOX_COMMANDS.forEach((c, k) => {
      if (next[k] !== -1 && next[k]! < i) next[k] = s.indexOf(c, i);
      const j = next[k]!;
      if (j !== -1 && (at === -1 || j < at)) {
        at = j;
        cmd = c;
      }
    });
    if (at === -1) break;
    let j = at + cmd.length;
    if (/[A-Za-z]/.test(s[j] ?? "")) {
      i = j;
      continue;
    }
    while (s[j] === " ") j++;
    if (s[j] === "{") {
      const end = matchBrace(s, j);
      if (end === -1) return null;
      boxes.push({ start: at, end, content: s.slice(j + 1, end - 1) });
      i = end;
    } else if (j > at + cmd.length) {
      // `\boxed 5`: the argument runs to the next space or math delimiter.
      const m = /^[^\s$]+/.exec(s.slice(j, j + 200));
      if (!m) {
        i = j;
        continue;
      }
      let content = m[0];
      const trimmed = content.replace(/[.,;]+$/, "");
      if (trimmed) content = trimmed;
      boxes.push({ start: at, end: j + content.length, content });
      i = j + content.length;
    } else {
      i = j;
    }
  }
  return boxes;
}

/** Words that make a later box replace an earlier one ("\\boxed{5}. Wait, \\boxed{6}"). */
const CORRECTION_WORDS = new Set([
  "wait",
  "actually",
  "no",
  "sorry",
  "hmm",
  "instead",
  "rather",
  "but",
  "correction",
  "oops",
  "mistake",
  "redo",
  "wrong",
]);

/**
 * Text between two boxes that still makes them one answer: "\\boxed{1} and \\boxed{2}", "\\boxed{(3,3)} for part
 * (a) and \\boxed{(1,1)}"; but not a self-correction ("\\boxed{1} is wrong, let me redo it: \\boxed{2}").
 */
function adjacent(gap: string): boolean {
  if (gap.length > 70) return false;
  const words = (gap.replace(/\\[A-Za-z]+/g, " ").match(/[A-Za-z]{2,}/g) ?? []).map((w) => w.toLowerCase());
  if (words.some((w) => CORRECTION_WORDS.has(w))) return false;
  if (gap.length <= 10) return true;
  const separated = words.includes("and") || words.includes("or") || /[,;]/.test(gap);
  return separated && words.filter((w) => w !== "and" && w !== "or").length <= 3;
}

/**
 * The last box (`"last"`), or the last box and the boxes adjacent to it (`"list"`), as a list of contents in
 * order; null when there is no box or the last one is never closed.
 */
export function extractBoxed(s: string, boxes: "last" | "list" = "last", depth = 0): Extracted {
  const found = findBoxes(s);
  if (found === null || found.length === 0) return null;
  return boxContents(s, found, boxes, depth);
}

/** A box command is present (closed or not): such a response is never read as a bare answer. */
export function hasBoxCommand(s: string): boolean {
  return BOX_COMMANDS.some((c) => s.includes(c));
}

function boxContents(s: string, boxes: Box[], mode: "last" | "list", depth: number): string[] {
  let first = boxes.length - 1;
  if (mode === "list")
    while (first > 0 && adjacent(s.slice(boxes[first - 1]!.end, boxes[first]!.start))) first--;
  const out: string[] = [];
  for (let k = first; k < boxes.length; k++) {
    let c = boxes[k]!.content;
    // A box around a sentence that holds a box: the inner box is the answer.
    const inner =
      depth < 2 && (c.includes("\\boxed") || c.includes("\\fbox")) ? extractBoxed(c, mode, depth + 1) : null;
    if (inner?.length === 1) c = inner[0]!;
    if (out[out.length - 1] !== c) out.push(c);
  }
  return out;
}

/** The last `<answer>…</answer>`; a box inside it wins over the raw content. */
export function extractAnswerTag(s: string, boxes: "last" | "list" = "last"): Extracted {
  const close = s.lastIndexOf("</answer>");
  if (close === -1) return null;
  const open = s.lastIndexOf("<answer>", close);
  if (open === -1) return null;
  const inner = s.slice(open + 8, close);
  const boxed = extractBoxed(inner, boxes);
  if (boxed) return boxed;
  if (hasBoxCommand(inner)) return null;
  const t = stripMathDelimiters(inner).trim();
  return t ? [t] : null;
}

/** Removes `$`, `\(`, `\)`, `\[`, `\]` delimiters. */
export function stripMathDelimiters(s: string): string {
  return s.replace(/\$+|\\[()[\]]/g, " ");
}

const FINAL_ANSWER = /final answer(?: is)?\s*[:：]?\s*/gi;
const SENTENCE_END = /\.?\s*I hope it is correct|<\|/i;
const ANSWER_COLON = /answer(?:\s+is)?\s*[:：]\s*([^\n]+)$/i;
const LATEX_ENV =
  /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|(?<!\\)\$((?:\\\$|[^$\n])+?)(?<!\\)\$|\\\(([^\n]+?)\\\)/g;
const NUMBER = /(?<![A-Za-z])(?:-?\d[\d,]*(?:\.\d+)?(?:\s*\/\s*\d+)?%?|-?\.\d+%?)/g;

/** Position of the last "final answer" phrase, for choosing between it and a box. */
export function lastFinalAnswerAt(s: string): number {
  let at = -1;
  for (const m of s.matchAll(FINAL_ANSWER)) at = m.index ?? at;
  return at;
}

/** The text after the last "final answer (is)", up to "I hope it is correct" or a chat-template marker. */
function finalAnswerSentence(s: string): string | undefined {
  let end = -1;
  for (const m of s.matchAll(FINAL_ANSWER)) end = (m.index ?? 0) + m[0].length;
  if (end === -1) return ANSWER_COLON.exec(s.trimEnd())?.[1];
  const rest = s.slice(end);
  const stop = SENTENCE_END.exec(rest);
  return stop ? rest.slice(0, stop.index) : rest;
}

/**
 * Evaluation-only fallback: "final answer is …"/"answer: …" (the answer inside that sentence), a response that
 * is just an answer, else the rightmost math environment or number.
 */
export function extractFallback(s: string, parses: (answer: string) => boolean): Extracted {
  const sentence = finalAnswerSentence(s);
  if (sentence?.trim()) {
    const whole = cleanSentenceEnd(sentence);
    if (whole && looksLikeBareAnswer(sentence) && parses(whole)) return [whole];
    return rightmost(sentence);
  }
  if (looksLikeBareAnswer(s)) {
    const t = cleanSentenceEnd(s);
    if (t && parses(t)) return [t];
  }
  return rightmost(s);
}

/** The rightmost math environment or number. */
export function rightmost(s: string): Extracted {
  let best: { at: number; text: string } | null = null;
  for (const m of s.matchAll(LATEX_ENV)) {
    const text = m[1] ?? m[2] ?? m[3] ?? m[4];
    if (text?.trim()) best = { at: (m.index ?? 0) + m[0].length, text };
  }
  for (const m of s.matchAll(NUMBER)) {
    const end = (m.index ?? 0) + m[0].length;
    if (!best || end > best.at) best = { at: end, text: m[0] };
  }
  if (!best) return null;
  const t = cleanSentenceEnd(best.text);
  return t ? [t] : null;
}

function cleanSentenceEnd(s: string): string {
  return stripMathDelimiters(s)
    .trim()
    .replace(/[.。]+$/, "")
    .trim();
}

/** Words of prose (three letters or more) outside math delimiters and commands. */
export function proseWords(s: string): string[] {
  const outside = s
    .replace(LATEX_ENV, " ")
    .replace(/\\(?:begin|end)\s*\{[^{}]*\}/g, " ")
    .replace(/\\[A-Za-z]+/g, " ");
  return (outside.match(/[A-Za-z]{3,}/g) ?? []).filter(
    (w) => !WORDS.has(w.toLowerCase()) && !/^(percentage|boxed|text)$/i.test(w),
  );
}

/** Short text with no prose outside math delimiters: the whole string is the answer. */
function looksLikeBareAnswer(s: string): boolean {
  if (s.length > 200) return false;
  const outside = s.replace(LATEX_ENV, " ").replace(/\\[A-Za-z]+/g, " ");
  const words = outside.match(/[A-Za-z]{2,}/g) ?? [];
  return words.every((w) => /^(and|or|percent|percentage|pct|cm|m|boxed|text)$/i.test(w));
}

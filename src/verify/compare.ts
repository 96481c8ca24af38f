import { mulberry32 } from "../util/rng.js";
import type { Node, RelOp } from "./ast.js";
import { show } from "./ast.js";
import {
  asRational,
  divideVals,
  EPS,
  evaluate,
  exEqual,
  exInterval,
  resetBudget,
  type Val,
  ValueError,
} from "./evaluate.js";
import { proseWords, rightmost } from "./extract.js";
import { parseAnswer } from "./parse.js";
import type { GradingPolicy } from "./policy.js";
import type { Rational } from "./rational.js";
import * as Q from "./rational.js";

export interface Comparison {
  equal: boolean;
  reason: string;
}

/** Random points per identity test, and how many must be defined. */
const POINTS = 6;
const MIN_POINTS = 3;
const MAX_LIST = 64;
const MAX_MATCH_STEPS = 20_000;
const CONSTANTS = new Set(["pi", "e", "i", "inf", "..."]);

interface Ctx {
  options: GradingPolicy;
  reason: string;
  /** Some value could not be evaluated (said in the reason: "mismatch-unevaluated"). */
  unknown: boolean;
  /** Two values agreed as far as floating point could tell, but it had lost information: "cannot-decide". */
  undecided: boolean;
  steps: number;
}

class CapError extends Error {}

/** An answer given as a sentence ("The smallest value is \\(248\\)."): its last formula or number. */
function proseCore(parts: string[]): string[] | null {
  if (parts.length !== 1) return null;
  const s = parts[0]!.replace(/\\text\s*\{([^{}]*)\}/g, " $1 ");
  const words = proseWords(s);
  // Two words of prose make a sentence; "or" would make it a hedge, which must not pass.
  if (words.length < 2 || /\bor\b/i.test(s)) return null;
  return rightmost(s);
}

const MC_GOLD = /^\s*(?:\\(?:text|textbf|mathrm|mathbf)\s*\{\s*)?\(?\s*([A-E])\s*\)?\s*\}?\s*$/;
const MC_PRED = /^\s*(?:\\(?:text|textbf|mathrm|mathbf)\s*\{\s*)?(?:\(\s*([A-E])\s*\)|([A-E])\s*[).:])/;

/** A multiple-choice gold ("B", "(B)", "\text{(B)}") against an answer that starts with a choice: "(B) 5". */
function multipleChoice(gold: string[], pred: string[]): Comparison | null {
  const multi = multiSelect(gold, pred);
  if (multi) return multi;
  const g = gold.length === 1 ? MC_GOLD.exec(gold[0]!) : null;
  const m = g && pred.length === 1 ? MC_PRED.exec(pred[0]!) : null;
  if (!g || !m) return null;
  const equal = g[1] === (m[1] ?? m[2]);
  return { equal, reason: equal ? "choice" : "mismatch" };
}

/** Choice letters of a multiple-select answer: "ACD", "A, C, D", "\\text{A and C}"; null for anything else. */
function choiceLetters(parts: string[]): string | null {
  const s = parts
    .join(",")
    .replace(/\\(?:text|textbf|mathrm|mathbf)\s*\{([^{}]*)\}/g, "$1")
    .replace(/\b(and)\b|[\s,;()]/g, "");
  return /^[A-G]{2,7}$/.test(s) && new Set(s).size === s.length ? [...s].sort().join("") : null;
}

/** A multiple-select gold in letter order ("BD") against the same letters in any form and order. */
function multiSelect(gold: string[], pred: string[]): Comparison | null {
  const g =
    gold.length === 1 && /^\s*(?:\\text\s*\{\s*)?[A-G]{2,7}\s*\}?\s*$/.test(gold[0]!)
      ? choiceLetters(gold)
      : null;
  if (!g || g !== gold[0]!.replace(/\\text|[\s{}]/g, "")) return null;
  const p = choiceLetters(pred);
  if (!p) return null;
  return p === g ? { equal: true, reason: "choice" } : { equal: false, reason: "mismatch" };
}

/**
 * Rewrites tried when the answers as written do not match, each on both sides: a sentence's formula, an answer
 * without its trailing qualifier ("for all x ∈ ℤ"), a number without its unit (only against an answer with no
 * letters, where a unit cannot be a variable). Each keeps the answer's value; the last tries them together.
 */
type Rewrite = (parts: string[], other: string[]) => string[] | null;
const REWRITES: [string, Rewrite][] = [
  ["from a sentence", (parts) => proseCore(parts)],
  ["qualifier dropped", (parts) => rewriteParts(parts, stripQualifier)],
  ["unit dropped", (parts, other) => (hasLetters(other) ? null : rewriteParts(parts, stripUnit))],
];

export function compareAnswers(gold: string[], pred: string[], options: GradingPolicy): Comparison {
  // One evaluation budget for the whole comparison, rewrites included: retries cannot multiply the worst case.
  resetBudget();
  const time = compareTimes(gold, pred);
  if (time) return time;
  const text = compareProse(gold, pred);
  if (text) return text;
  const direct = compareParsed(gold, pred, options);
  if (direct.equal) return direct;
  let gAll = gold;
  let pAll = pred;
  let tried = 0;
  for (const [why, rewrite] of REWRITES) {
    const g = rewrite(gold, pred);
    const p = rewrite(pred, gold);
    if (!g && !p) continue;
    tried++;
    gAll = rewrite(gAll, pAll) ?? gAll;
    pAll = rewrite(pAll, gAll) ?? pAll;
    const again = compareParsed(g ?? gold, p ?? pred, options);
    if (again.equal) return { equal: true, reason: `${again.reason} (${why})` };
  }
  if (tried > 1) {
    const again = compareParsed(gAll, pAll, options);
    if (again.equal) return { equal: true, reason: `${again.reason} (rewritten)` };
  }
  return direct;
}

function rewriteParts(parts: string[], f: (s: string) => string | null): string[] | null {
  let changed = false;
  const out = parts.map((s) => {
    const t = f(s);
    if (t === null) return s;
    changed = true;
    return t;
  });
  return changed ? out : null;
}

/** Latin letters outside command names and \text{} units: the answer may have variables. */
function hasLetters(parts: string[]): boolean {
  return parts.some((s) => /[A-Za-z]/.test(s.replace(/\\[A-Za-z]+(\s*\{[^{}]*\})?/g, " ")));
}

// Qualifiers ---------------------------------------------------------------------------------------------------

/** "…, for all x ∈ ℤ", "… where k is an integer", "(n ∈ ℕ)": what a parameter ranges over, not the answer. */
const QUALIFIER_PHRASE =
  /(?:\s*(?:,|;|\\quad|\\qquad|\\[,;:]|\(|\\text\s*\{\s*[,;]?))*\s*(?:\\text\s*\{\s*)?\b(?:for\s+(?:all|any|every|each|some)|for|where|with|when|if)\b[\s\S]*$/i;
const QUALIFIER_DOMAIN =
  /integer|natural|real|whole|constant|arbitrary|\\in\b|∈|ℤ|ℕ|ℝ|\\mathbb|\\forall|parameter/i;
const MEMBERSHIP_TAIL =
  /(?:(?:\s*(?:,|;|\\quad|\\qquad|\\[,;: ]))+\s*\(?|\s*\()\s*(?:\\forall\s*)?[A-Za-z](?:_\{?\w+\}?)?(?:\s*,\s*[A-Za-z](?:_\{?\w+\}?)?)*\s*(?:\\in|∈)\s*(?:\\mathbb\s*\{?\s*[ZNRQ]\s*\}?|\\mathbf\s*\{?\s*[ZNRQ]\s*\}?|[ZNRQℤℕℝ])(?:\s*\^\s*\{?\s*[+*]\s*\}?|_\s*\{?\s*[+>0-9]*\s*\}?)?\s*\)?\s*\.?\s*$/;

function stripQualifier(s: string): string | null {
  const m = MEMBERSHIP_TAIL.exec(s);
  if (m && m.index > 0 && s.slice(0, m.index).trim()) return s.slice(0, m.index);
  const q = QUALIFIER_PHRASE.exec(s);
  // A domain ("… is an integer", "∈ ℤ") or a quantifier over a variable ("for all x") qualifies.
  const quantifier = /^[\s,;(]*(?:\\text\s*\{\s*)?for\s+(?:all|any|every|each)\b/i.test(q?.[0] ?? "");
  if (!q || q.index === 0 || !(quantifier || QUALIFIER_DOMAIN.test(q[0]))) return null;
  const head = s.slice(0, q.index).trim();
  return head && /[\w}]/.test(head) ? head : null;
}

// Units --------------------------------------------------------------------------------------------------------

const UNIT_NAMES =
  "km|cm|mm|nm|m|kg|mg|g|ms|s|hrs?|h|mins?|secs?|mph|kph|ft|in|yd|mi|mL|ml|L|l|N|J|kJ|W|kW|kWh|V|A|Pa|kPa|Hz|cal|kcal|lbs?|oz|sq|cu|K|mol";
const UNIT_TAIL = new RegExp(
  `(?<=[\\d}.)])\\s*(?:\\\\[,;! ]|~)?\\s*(?:${UNIT_NAMES})(?:\\s*(?:/|\\\\cdot|\\*|\\\\,)\\s*(?:${UNIT_NAMES}))*(?:\\s*\\^\\s*\\{?\\s*[23]\\s*\\}?)?\\s*\\.?\\s*$`,
);

function stripUnit(s: string): string | null {
  const m = UNIT_TAIL.exec(s);
  if (!m || m.index === 0) return null;
  // "6m" is six times m; "6 m" is six metres.
  if (/^[A-Za-z]\b/.test(m[0]) && !/^\s/.test(m[0])) return null;
  return s.slice(0, m.index);
}

// Times of day -------------------------------------------------------------------------------------------------

/** "9 PM", "9 \\text{ a.m.}": an hour with a.m./p.m. and no minutes. */
const HOUR = /^\s*(\d{1,2})\s*(?:\\(?:text|mathrm)\s*\{\s*)?\s*([ap])\.?\s*m\.?\s*\}?\s*$/i;

const TIME =
  /^\s*(?:\\text\s*\{\s*)?(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?\s*\}?\s*(?:\\(?:text|mathrm)\s*\{\s*)?\s*([ap])?(?:\.?\s*m\.?)?\s*\}?\s*$/i;

/** Seconds after midnight of "9:00", "2:30 PM", "14:30:05"; `ampm` when a.m./p.m. was written. */
function timeOf(s: string): { t: number; ampm: boolean } | null {
  const hour = HOUR.exec(s);
  if (hour) {
    const h = Number(hour[1]);
    if (h < 1 || h > 12) return null;
    return { t: ((h % 12) + (hour[2]!.toLowerCase() === "p" ? 12 : 0)) * 3600, ampm: true };
  }
  const m = TIME.exec(s);
  if (!m) return null;
  // "2:30 m" is not a time: a bare m must come with a or p.
  if (!m[4] && /m\.?\s*\}?\s*$/i.test(s)) return null;
  let h = Number(m[1]);
  const min = Number(m[2]);
  const sec = Number(m[3] ?? 0);
  if (min > 59 || sec > 59) return null;
  if (m[4]) {
    if (h < 1 || h > 12) return null;
    h = (h % 12) + (m[4].toLowerCase() === "p" ? 12 : 0);
  } else if (h > 24) return null;
  return { t: h * 3600 + min * 60 + sec, ampm: Boolean(m[4]) };
}

/** Times of day when either side says a.m./p.m. or both read H:MM: compared as times, not ratios. */
function compareTimes(gold: string[], pred: string[]): Comparison | null {
  if (gold.length !== 1 || pred.length !== 1) return null;
  const g = timeOf(gold[0]!);
  const p = timeOf(pred[0]!);
  if (!g && !p) return null;
  if (g && p) return g.t === p.t ? { equal: true, reason: "time" } : { equal: false, reason: "mismatch" };
  const one = (g ?? p)!;
  return one.ampm ? { equal: false, reason: "mismatch" } : null;
}

// Prose answers ------------------------------------------------------------------------------------------------

const ARTICLES = new Set(["a", "an", "the"]);
const YES_NO = new Set(["yes", "no"]);
/** Words that turn a sentence against its last word, hedge it, or make it one of several. */
const NEGATIONS =
  /\b(not|no|neither|nor|never|non|none|cannot|isn't|aren't|doesn't|or|and|but|except|unless|than|both)\b/i;

/** The words of an answer that is only prose (in or out of \text{}), without articles; null otherwise. */
function proseWordsOf(parts: string[]): string[] | null {
  if (parts.length !== 1) return null;
  const s = parts[0]!
    .replace(/\\(?:text|textbf|textit|mathrm|mbox|textnormal)\s*\{([^{}]*)\}/g, " $1 ")
    .replace(/\$/g, " ")
    .replace(/[.!]\s*$/, "");
  if (!/^[\sA-Za-z,'-]+$/.test(s)) return null;
  const words = s.toLowerCase().match(/[a-z']+/g) ?? [];
  const content = words.filter((w) => !ARTICLES.has(w));
  return content.length > 0 ? content : null;
}

/**
 * Prose against prose: the same words up to articles and case ("an ellipse" = "Ellipse"), or a short answer
 * that ends the gold's sentence ("odd" for "The function is odd"), when that sentence has no negation.
 */
function compareProse(gold: string[], pred: string[]): Comparison | null {
  const g = proseWordsOf(gold);
  const p = proseWordsOf(pred);
  if (!g || !p) return null;
  if (g.join(" ") === p.join(" ")) return { equal: true, reason: "text" };
  // A yes/no question answered in a sentence that starts with its verdict: "No, it is not possible."
  if (
    g.length === 1 &&
    YES_NO.has(g[0]!) &&
    p.length > 1 &&
    YES_NO.has(p[0]!) &&
    /^[^,.;:]*\b(yes|no)\b\s*[,.;:]/i.test(pred[0]!.replace(/\\text\s*\{/g, ""))
  )
    return { equal: g[0] === p[0], reason: g[0] === p[0] ? "text (verdict first)" : "mismatch" };
  const [long, short] = g.length >= p.length ? [g, p] : [p, g];
  if (long.length >= 3 && short.length <= 2 && !NEGATIONS.test(gold[0]!) && !NEGATIONS.test(pred[0]!)) {
    const tail = long.slice(-short.length).join(" ");
    if (tail === short.join(" ")) return { equal: true, reason: "text (end of a sentence)" };
  }
  return null;
}

function compareParsed(gold: string[], pred: string[], options: GradingPolicy): Comparison {
  const mc = multipleChoice(gold, pred) ?? multipleChoice(pred, gold);
  if (mc) return mc;
  const g = parseAll(gold);
  const p = parseAll(pred);
  if (!g || !p) {
    const equal = normalizeText(gold.join(",")) === normalizeText(pred.join(","));
    return { equal, reason: equal ? "string" : g ? "unparsed-answer" : "unparsed-gold" };
  }
  // Identical answers need no evaluation (and big identical expressions would spend the budget for nothing).
  if (show(g) === show(p)) return { equal: true, reason: "identical" };
  const ctx: Ctx = { options, reason: "mismatch", unknown: false, undecided: false, steps: 0 };
  try {
    const G = foldMatrices(expandPm(g));
    if (match(G, foldMatrices(expandPm(p)), ctx)) return { equal: true, reason: ctx.reason };
    // Readings of the same answer that the direct comparison does not make, each with its own near misses
    // (test/verify/kinds.test.ts): ± taking one sign throughout, and parameters or constants renamed.
    const alternatives: [Node, Node, string][] = [];
    const oneSign = (x: Node, raw: string[]) => (raw.some((r) => /\\mp|∓/.test(r)) ? null : correlatedPm(x));
    const cp = oneSign(p, pred);
    const cg = oneSign(g, gold);
    if (cp) alternatives.push([G, foldMatrices(cp), "± with one sign"]);
    if (cg) alternatives.push([foldMatrices(cg), foldMatrices(expandPm(p)), "± with one sign"]);
    for (const m of renamings(g, p))
      alternatives.push([G, foldMatrices(expandPm(rename(p, m))), "parameter renamed"]);
    for (const [a, b, why] of alternatives) {
      if (match(a, b, ctx)) return { equal: true, reason: `${ctx.reason} (${why})` };
    }
  } catch (e) {
    if (!(e instanceof CapError || e instanceof ValueError)) throw e;
    return { equal: false, reason: "capped" };
  }
  return {
    equal: false,
    reason: ctx.undecided ? "cannot-decide" : ctx.unknown ? "mismatch-unevaluated" : "mismatch",
  };
}

function parseAll(parts: string[]): Node | null {
  const nodes: Node[] = [];
  for (const s of parts) {
    let n: Node;
    try {
      n = parseAnswer(s);
    } catch {
      return null;
    }
    if (parts.length > 1 && n.k === "list" && n.sep !== ";") nodes.push(...n.xs);
    else nodes.push(n);
  }
  return nodes.length === 1 ? nodes[0]! : { k: "list", xs: nodes, sep: "box" };
}

export function normalizeText(s: string): string {
  return s
    .replace(/\\(text|textbf|mathrm|mbox|textnormal|mathbf)\s*/g, "")
    .replace(/\\[dtc]frac/g, "\\frac")
    .replace(/\\left|\\right|\\[,;:! ()[\]]|\\q?quad|[\s{}$]/g, "")
    .replace(/[.]+$/, "")
    .toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------------
// Rewriting helpers.

/** `n` with `f` applied to each direct child. */
function mapNode(n: Node, f: (x: Node) => Node): Node {
  switch (n.k) {
    case "add":
    case "mul":
    case "ratio":
    case "tuple":
    case "set":
    case "list":
    case "union":
      return { ...n, xs: n.xs.map(f) };
    case "rel":
      return n.mod ? { ...n, xs: n.xs.map(f), mod: f(n.mod) } : { ...n, xs: n.xs.map(f) };
    case "neg":
    case "pct":
    case "deg":
      return { ...n, x: f(n.x) };
    case "div":
    case "pow":
      return { ...n, a: f(n.a), b: f(n.b) };
    case "fn":
      return { ...n, args: n.args.map(f) };
    case "pm":
      return { ...n, a: n.a ? f(n.a) : null, b: f(n.b) };
    case "matrix":
      return { ...n, rows: n.rows.map((r) => r.map(f)) };
    default:
      return n;
  }
}

/** −b, distributed over a tuple: ±(1, 2) is (1, 2) and (−1, −2). */
const negate = (b: Node): Node =>
  b.k === "tuple" ? { ...b, xs: b.xs.map((x): Node => ({ k: "neg", x })) } : { k: "neg", x: b };

/** Every ± of `n` with the sign s. */
function signed(n: Node, s: 1 | -1): Node {
  if (n.k === "pm") {
    const b = signed(n.b, s);
    const term = s > 0 ? b : negate(b);
    return n.a ? { k: "add", xs: [signed(n.a, s), term] } : term;
  }
  return mapNode(n, (x) => signed(x, s));
}

const hasPm = (n: Node): boolean => show(n).includes("±");

/** The one-sign reading of ±: "(±1, ±2)" as (1, 2) and (−1, −2) (the product reading is expandPm's). */
function correlatedPm(n: Node): Node | null {
  const items = n.k === "list" || n.k === "set" ? n.xs : [n];
  if (!items.some(hasPm)) return null;
  const xs = items.flatMap((x) => (hasPm(x) ? [signed(x, 1), signed(x, -1)] : [x]));
  return n.k === "set" ? { k: "set", xs } : { k: "list", xs, sep: "," };
}

/** Names of integer parameters and arbitrary constants: `2k\pi` and `2n\pi` say the same, as do `+C` and `+c`. */
const PARAMETER = /^[kntmljCcK](?:_\w+)?$/;

/** Renamings of the answer's parameters onto the gold's (one-to-one), when only parameters differ. */
function renamings(g: Node, p: Node): Map<string, string>[] {
  const gv = freeVars(g);
  const pv = freeVars(p);
  const dg = [...gv].filter((v) => !pv.has(v));
  const dp = [...pv].filter((v) => !gv.has(v));
  if (dg.length === 0 || dg.length !== dp.length || dg.length > 3) return [];
  if (![...dg, ...dp].every((v) => PARAMETER.test(v))) return [];
  return permutations(dp).map((perm) => new Map(perm.map((v, k) => [v, dg[k]!])));
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, k) =>
    permutations([...xs.slice(0, k), ...xs.slice(k + 1)]).map((rest) => [x, ...rest]),
  );
}

function rename(n: Node, m: Map<string, string>): Node {
  if (n.k === "sym") {
    const to = m.get(n.name);
    return to ? { k: "sym", name: to } : n;
  }
  return mapNode(n, (x) => rename(x, m));
}

// ---------------------------------------------------------------------------------------------------------------
// ± expansion: "1 \pm \sqrt 2" is the list of both values.

function expandPm(n: Node): Node {
  if (n.k === "list" || n.k === "set") return { ...n, xs: n.xs.flatMap((x) => pmVariants(x)) };
  const vs = pmVariants(n);
  return vs.length === 1 ? vs[0]! : { k: "list", xs: vs, sep: "," };
}

function pmVariants(n: Node): Node[] {
  const out = variants(n);
  return out.length > 8 ? [n] : out;
}

function variants(n: Node): Node[] {
  switch (n.k) {
    case "pm": {
      const as = n.a ? variants(n.a) : [null];
      const bs = variants(n.b);
      const out: Node[] = [];
      for (const a of as)
        for (const b of bs) {
          const minus = negate(b);
          out.push(a ? { k: "add", xs: [a, b] } : b, a ? { k: "add", xs: [a, minus] } : minus);
        }
      return out;
    }
    case "add":
    case "mul":
    case "rel":
    case "ratio":
    case "tuple":
      return combos(n.xs.map(variants)).map((xs) => ({ ...n, xs }));
    case "neg":
    case "pct":
    case "deg":
      return variants(n.x).map((x) => ({ ...n, x }));
    case "div":
    case "pow":
      return combos([variants(n.a), variants(n.b)]).map(([a, b]) => ({ ...n, a: a!, b: b! }));
    case "fn":
      return combos(n.args.map(variants)).map((args) => ({ ...n, args }));
    default:
      return [n];
  }
}

function combos(lists: Node[][]): Node[][] {
  let acc: Node[][] = [[]];
  for (const l of lists) {
    const next: Node[][] = [];
    for (const prefix of acc) for (const x of l) next.push([...prefix, x]);
    acc = next;
    if (acc.length > 16) return [lists.map((l2) => l2[0]!)];
  }
  return acc;
}

// ---------------------------------------------------------------------------------------------------------------
// Matrix arithmetic written out in an answer: sums, scalar multiples and products, entry by entry.

type Matrix = Node & { k: "matrix" };

function foldMatrices(n: Node): Node {
  switch (n.k) {
    case "list":
      return { ...n, xs: n.xs.map(foldMatrices) };
    case "neg": {
      const x = foldMatrices(n.x);
      return x.k === "matrix" ? mapEntries(x, (e) => ({ k: "neg", x: e })) : { ...n, x };
    }
    case "add": {
      const xs = n.xs.map(foldMatrices);
      if (!xs.some((x) => x.k === "matrix")) return { ...n, xs };
      const first = xs[0]!;
      if (first.k !== "matrix" || !xs.every((x) => x.k === "matrix" && sameShape(x, first)))
        return { ...n, xs };
      return {
        k: "matrix",
        rows: first.rows.map((r, i) =>
          r.map((_, j) => ({ k: "add", xs: xs.map((x) => (x as Matrix).rows[i]![j]!) })),
        ),
      };
    }
    case "mul": {
      const xs = n.xs.map(foldMatrices);
      if (!xs.some((x) => x.k === "matrix")) return { ...n, xs };
      let acc: Node = xs[0]!;
      for (const x of xs.slice(1)) {
        if (acc.k === "matrix" && x.k === "matrix") {
          const a: Matrix = acc;
          if (a.rows[0]!.length !== x.rows.length) return { ...n, xs };
          acc = {
            k: "matrix",
            rows: a.rows.map((r) =>
              x.rows[0]!.map(
                (_, j) =>
                  ({ k: "add", xs: r.map((e, t) => ({ k: "mul", xs: [e, x.rows[t]![j]!] })) }) as Node,
              ),
            ),
          };
        } else if (acc.k === "matrix") {
          acc = mapEntries(acc, (e) => ({ k: "mul", xs: [e, x] }));
        } else if (x.k === "matrix") {
          const s = acc;
          acc = mapEntries(x, (e) => ({ k: "mul", xs: [s, e] }));
        } else acc = { k: "mul", xs: [acc, x] };
      }
      return acc;
    }
    default:
      return n;
  }
}

function sameShape(a: Matrix, b: Matrix): boolean {
  return a.rows.length === b.rows.length && a.rows[0]!.length === b.rows[0]!.length;
}

function mapEntries(m: Matrix, f: (e: Node) => Node): Matrix {
  return { k: "matrix", rows: m.rows.map((r) => r.map(f)) };
}

// ---------------------------------------------------------------------------------------------------------------
// The cascade.

function step(ctx: Ctx): void {
  if (++ctx.steps > MAX_MATCH_STEPS) throw new CapError("comparison budget exhausted");
}

function decided(ctx: Ctx, reason: string): true {
  ctx.reason = reason;
  return true;
}

function match(g: Node, p: Node, ctx: Ctx): boolean {
  step(ctx);
  if (g.k === "list" && g.xs.length === 1) return match(g.xs[0]!, p, ctx);
  if (p.k === "list" && p.xs.length === 1) return match(g, p.xs[0]!, ctx);
  // "x ∈ {1, 2}" is the set it names.
  if (isMembership(g)) return match((g as Node & { k: "rel" }).xs[1]!, p, ctx);
  if (isMembership(p)) return match(g, (p as Node & { k: "rel" }).xs[1]!, ctx);
  const labelled = matchLabelled(g, p, ctx) ?? matchLabelled(p, g, ctx);
  if (labelled !== null) return labelled;
  if (g.k === "list" || p.k === "list") return matchLists(g, p, ctx);
  if (g.k === "set" || p.k === "set") return matchSets(g, p, ctx);
  if (g.k === "text" && p.k === "text" && NO_SOLUTION.test(g.s.trim()) && NO_SOLUTION.test(p.s.trim())) {
    return decided(ctx, "text");
  }
  if (g.k === "rel" || p.k === "rel") return matchRel(g, p, ctx);
  if (g.k === "union" || p.k === "union" || isReals(g) || isReals(p)) return matchIntervals(g, p, ctx);
  if (g.k === "ratio" && p.k === "ratio" && g.xs.length > 2) return matchRatios(g.xs, p.xs, ctx);
  if (g.k === "pct" || p.k === "pct") return matchPct(g, p, ctx);
  if (g.k === "deg" || p.k === "deg") return matchDeg(g, p, ctx);
  if (g.k === "tuple" || p.k === "tuple" || g.k === "matrix" || p.k === "matrix")
    return matchSequences(g, p, ctx);
  if (g.k === "text" || p.k === "text") return matchText(g, p, ctx);
  if (g.k === "base" || p.k === "base") return matchBase(g, p, ctx);
  return matchValue(g, p, ctx);
}

function isMembership(n: Node): boolean {
  return n.k === "rel" && n.ops.length === 1 && n.ops[0] === "in" && isNameLike(n.xs[0]!);
}

/** `a = 2, b = 3` as name → value, or null when the list is not only assignments to distinct names. */
function assignments(n: Node): Map<string, Node> | null {
  if (n.k !== "list") return null;
  const out = new Map<string, Node>();
  for (const x of n.xs) {
    if (x.k !== "rel" || x.ops.length !== 1 || x.ops[0] !== "=" || x.xs[0]!.k !== "sym") return null;
    out.set(x.xs[0]!.name, x.xs[1]!);
  }
  return out.size === n.xs.length ? out : null;
}

/** `(a, b) = (2, 3)` against `a = 2, b = 3`: the values by name, in any order. */
function matchLabelled(t: Node, l: Node, ctx: Ctx): boolean | null {
  if (t.k !== "rel" || t.ops.length !== 1 || t.ops[0] !== "=") return null;
  const [names, values] = t.xs as [Node, Node];
  if (names.k !== "tuple" || values.k !== "tuple" || names.xs.length !== values.xs.length) return null;
  const given = assignments(l);
  if (!given || given.size !== names.xs.length) return null;
  for (let k = 0; k < names.xs.length; k++) {
    const name = names.xs[k]!;
    const v = name.k === "sym" ? given.get(name.name) : undefined;
    if (!v || !match(values.xs[k]!, v, ctx)) return false;
  }
  return decided(ctx, "labelled");
}

function items(n: Node): Node[] {
  return n.k === "list" || n.k === "set" ? n.xs : [n];
}

function matchLists(g: Node, p: Node, ctx: Ctx): boolean {
  // Relations joined by "or" describe a set: "x < -1 or x > 3" is (-∞,-1) ∪ (3,∞).
  if (isIntervalish(g) || isIntervalish(p)) {
    const gi = intervalSet(g);
    const pi = intervalSet(p);
    if (gi && pi) return matchIntervalSets(gi, pi, ctx);
  }
  // A `{}`-grouped or bare list against a tuple keeps order: "{1,3}" is the pair (1,3).
  if (g.k === "tuple" && p.k === "list") return ordered(g.xs, p.xs, ctx, "tuple");
  if (p.k === "tuple" && g.k === "list") return ordered(g.xs, p.xs, ctx, "tuple");
  const gx = dedupe(items(g));
  const px = dedupe(items(p));
  // One value written several ways ("\\frac12 or 0.5") is still one answer.
  if (gx.length === 1 && px.length > 1 && px.every((x) => match(gx[0]!, x, ctx)))
    return decided(ctx, "same value");
  return unordered(gx, px, ctx);
}

const NO_SOLUTION = /^(no (real )?solutions?|none|empty set|the empty set|no such \w+|does not exist|dne)$/i;

function matchSets(g: Node, p: Node, ctx: Ctx): boolean {
  const empty = (n: Node) => n.k === "set" && n.xs.length === 0;
  const none = (n: Node) => n.k === "text" && NO_SOLUTION.test(n.s.trim());
  if ((empty(g) && none(p)) || (none(g) && empty(p))) return decided(ctx, "empty-set");
  if (
    g.k === "tuple" ||
    p.k === "tuple" ||
    g.k === "rel" ||
    p.k === "rel" ||
    g.k === "union" ||
    p.k === "union"
  ) {
    if (g.k === "union" || p.k === "union" || g.k === "rel" || p.k === "rel")
      return matchIntervals(g, p, ctx);
    return false;
  }
  return unordered(dedupe(items(g)), dedupe(items(p)), ctx);
}

function dedupe(xs: Node[]): Node[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = show(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function ordered(gx: Node[], px: Node[], ctx: Ctx, reason: string): boolean {
  if (gx.length !== px.length) return false;
  for (let k = 0; k < gx.length; k++) if (!match(gx[k]!, px[k]!, ctx)) return false;
  return decided(ctx, reason);
}

function unordered(gx: Node[], px: Node[], ctx: Ctx): boolean {
  if (gx.length !== px.length || gx.length > MAX_LIST) return false;
  const used = new Array<boolean>(px.length).fill(false);
  for (const x of gx) {
    let found = false;
    for (let k = 0; k < px.length && !found; k++) {
      if (!used[k] && match(x, px[k]!, ctx)) {
        used[k] = true;
        found = true;
      }
    }
    if (!found) return false;
  }
  return decided(ctx, "set");
}

// Relations --------------------------------------------------------------------------------------------------

/** Left-hand sides that name what the answer is: `x`, `f(x)`, `a_3`, `(p,q)`, `|AB|`, `AB`, `S:S'`. */
function isNameLike(n: Node): boolean {
  switch (n.k) {
    case "sym":
      return !CONSTANTS.has(n.name);
    case "fn":
      return n.name.startsWith("call:") || (n.name === "abs" && n.args.every(isNameLike));
    case "mul":
    case "ratio":
    case "tuple":
      return n.xs.every(isNameLike);
    case "div":
      return isNameLike(n.a) && isNameLike(n.b);
    case "pow":
      // f^{-1}(x), x_1^2 as a named quantity.
      return isNameLike(n.a) && n.b.k !== "sym";
    case "list":
      return n.xs.every(isNameLike);
    default:
      return false;
  }
}

const last = (xs: Node[]) => xs[xs.length - 1]!;
const isEquality = (n: Node) => n.k === "rel" && n.ops.every((o) => o === "=");
const isInequality = (n: Node) =>
  n.k === "rel" && n.ops.length > 0 && n.ops.every((o) => o === "<" || o === "<=" || o === ">" || o === ">=");

/**
 * The values an assignment or approximation states: `x = 5` → 5, `x = 1/3 ≈ 0.33` → 1/3 and 0.33. For rewards a
 * chain must be true where it can be checked, so "\\boxed{0 = 5}" or "\\boxed{1 \\approx 5}" states nothing;
 * evaluation mode (fallback) keeps Math-Verify's convention of reading the last right-hand side.
 */
function statedValues(n: Node & { k: "rel" }, anyLhs: boolean, ctx: Ctx): Node[] | null {
  const lenient = ctx.options.fallback === true;
  if (n.ops.includes("~")) {
    const k = n.ops.indexOf("~");
    const before = n.xs[k]!;
    if (isNameLike(before)) return [last(n.xs)];
    if (lenient || roughlyEqual(before, last(n.xs), ctx)) return [before, last(n.xs)];
    return [before];
  }
  if (!isEquality(n)) return null;
  const named = isNameLike(n.xs[0]!);
  if (!named && !anyLhs) return null;
  if (n.mod) return congruent(n.xs, n.mod, ctx) ? [last(n.xs)] : null;
  if (!lenient && !consistent(named ? n.xs.slice(1) : n.xs, ctx)) return null;
  return [last(n.xs)];
}

function constantValue(n: Node, ctx: Ctx): Val | null {
  return freeVars(n).size === 0 ? tryEval(n, new Map(), ctx) : null;
}

/** A congruence chain `17 ≡ 2 (mod 5)`: every link between integers holds modulo m (and m is an integer). */
function congruent(xs: Node[], mod: Node, ctx: Ctx): boolean {
  const m = asRational(constantValue(mod, ctx)?.ex ?? null);
  if (m?.d !== 1n || m.n <= 0n) return false;
  for (let k = 1; k < xs.length; k++) {
    const a = asRational(constantValue(xs[k - 1]!, ctx)?.ex ?? null);
    const b = asRational(constantValue(xs[k]!, ctx)?.ex ?? null);
    if (!a || !b || a.d !== 1n || b.d !== 1n || (a.n - b.n) % m.n !== 0n) return false;
  }
  return true;
}

/** Every link of an equality chain between values that can be evaluated holds. */
function consistent(xs: Node[], ctx: Ctx): boolean {
  for (let k = 1; k < xs.length; k++) {
    const a = constantValue(xs[k - 1]!, ctx);
    const b = constantValue(xs[k]!, ctx);
    if (a && b && !valuesEqual(a, b, ctx) && !roughlyEqual(xs[k - 1]!, xs[k]!, ctx)) return false;
  }
  return true;
}

/** An approximation worth the name: equal, rounding to the printed digits, or within 1%. */
function roughlyEqual(a: Node, b: Node, ctx: Ctx): boolean {
  const va = constantValue(a, ctx);
  const vb = constantValue(b, ctx);
  if (!va || !vb) return false;
  if (valuesEqual(va, vb, ctx)) return true;
  const la = decimalLiteral(a);
  const lb = decimalLiteral(b);
  if ((lb && roundsTo(va, lb)) || (la && roundsTo(vb, la))) return true;
  return (
    Number.isFinite(va.f) &&
    Number.isFinite(vb.f) &&
    Math.abs(va.f - vb.f) <= 0.01 * Math.max(Math.abs(va.f), Math.abs(vb.f))
  );
}

function matchRel(g: Node, p: Node, ctx: Ctx): boolean {
  if (g.k === "rel" && g.ops.length === 1 && g.ops[0] === "in") return match(g.xs[1]!, p, ctx);
  if (p.k === "rel" && p.ops.length === 1 && p.ops[0] === "in") return match(g, p.xs[1]!, ctx);
  if (g.k === "rel" && p.k === "rel" && !g.ops.includes("~") && !p.ops.includes("~"))
    return matchRelations(g, p, ctx);
  if (p.k === "rel" && (g.k !== "rel" || p.ops.includes("~"))) {
    if (describesSet(p) && (g.k === "tuple" || g.k === "union" || g.k === "set"))
      return matchIntervals(g, p, ctx);
    // A response may show its work: "3 \cdot 4 = 12" states 12.
    const vs = statedValues(p, true, ctx);
    if (vs) return vs.some((v) => match(g, v, ctx));
    return false;
  }
  if (g.k === "rel") {
    if (describesSet(g) && (p.k === "tuple" || p.k === "union" || p.k === "set"))
      return matchIntervals(g, p, ctx);
    const vs = statedValues(g, false, ctx);
    if (vs) return match(vs[0]!, p, ctx);
  }
  return false;
}

/** The left side of a function's definition: `y`, or `f(x)` with its variable. */
function functionHead(n: Node): { name: string; v: string | null } | null {
  if (n.k === "sym" && n.name === "y") return { name: "y", v: null };
  if (n.k === "fn" && n.name.startsWith("call:") && n.args.length === 1 && n.args[0]!.k === "sym")
    return { name: n.name, v: n.args[0]!.name };
  return null;
}

/** `y = 2x+1` and `f(x) = 2x+1`; `f(z) = z^2` and `f(x) = x^2` (the argument is a bound variable). */
function matchDefinitions(g: Node & { k: "rel" }, p: Node & { k: "rel" }, ctx: Ctx): boolean | null {
  if (g.xs.length !== 2 || p.xs.length !== 2 || show(g.xs[0]!) === show(p.xs[0]!)) return null;
  const hg = functionHead(g.xs[0]!);
  const hp = functionHead(p.xs[0]!);
  if (!hg || !hp || (hg.name !== hp.name && hg.name !== "y" && hp.name !== "y")) return null;
  let rhs = p.xs[1]!;
  if (hg.v && hp.v && hg.v !== hp.v) {
    if (freeVars(g.xs[1]!).has(hp.v)) return false;
    rhs = rename(rhs, new Map([[hp.v, hg.v]]));
  }
  return match(g.xs[1]!, rhs, ctx) && decided(ctx, "function");
}

function matchRelations(g: Node & { k: "rel" }, p: Node & { k: "rel" }, ctx: Ctx): boolean {
  if (isEquality(g) && isEquality(p)) {
    const definitions = matchDefinitions(g, p, ctx);
    if (definitions !== null) return definitions;
    // Same name on the left: compare what is assigned (handles tuples and lists on the right).
    if (isNameLike(g.xs[0]!) && show(g.xs[0]!) === show(p.xs[0]!)) return match(last(g.xs), last(p.xs), ctx);
    // The roots x = 1, x = −2 written x_1 = 1, x_2 = −2: one side subscripts the other's name.
    if (subscriptOf(g.xs[0]!, p.xs[0]!) || subscriptOf(p.xs[0]!, g.xs[0]!))
      return match(last(g.xs), last(p.xs), ctx);
    return matchEquations(g.xs[0]!, last(g.xs), "=", p.xs[0]!, last(p.xs), "=", ctx);
  }
  if (isInequality(g) && isInequality(p)) {
    if (g.xs.length === 2 && p.xs.length === 2) {
      return matchEquations(g.xs[0]!, g.xs[1]!, g.ops[0]!, p.xs[0]!, p.xs[1]!, p.ops[0]!, ctx);
    }
    if (matchIntervals(g, p, ctx)) return true;
    // Chains that are not intervals ("f(2) < f(1) < f(4)"): the same relations between matching terms.
    return g.ops.join() === p.ops.join() && ordered(g.xs, p.xs, ctx, "relation");
  }
  if (g.ops.length === 1 && p.ops.length === 1 && g.ops[0] === "!=" && p.ops[0] === "!=") {
    return matchEquations(g.xs[0]!, g.xs[1]!, "!=", p.xs[0]!, p.xs[1]!, "!=", ctx);
  }
  return false;
}

/** An inequality, or `x ≠ c`: a condition that describes a set of reals. */
const describesSet = (n: Node) =>
  isInequality(n) || (n.k === "rel" && n.ops.length === 1 && n.ops[0] === "!=");

/** `sub` is `name` with a subscript: x_1 for x. */
function subscriptOf(sub: Node, name: Node): boolean {
  return (
    sub.k === "sym" && name.k === "sym" && !name.name.includes("_") && sub.name.startsWith(`${name.name}_`)
  );
}

/** `lhs op rhs` as `expr op' 0` with op' one of =, <, <=, != . */
function oneSided(lhs: Node, rhs: Node, op: RelOp): { e: Node; op: RelOp } {
  const minus = (a: Node, b: Node): Node => ({ k: "add", xs: [a, { k: "neg", x: b }] });
  if (op === ">") return { e: minus(rhs, lhs), op: "<" };
  if (op === ">=") return { e: minus(rhs, lhs), op: "<=" };
  return { e: minus(lhs, rhs), op };
}

/** Equations and inequalities up to rearrangement and scaling (positive scaling for inequalities). */
function matchEquations(gl: Node, gr: Node, gop: RelOp, pl: Node, pr: Node, pop: RelOp, ctx: Ctx): boolean {
  const a = oneSided(gl, gr, gop);
  const b = oneSided(pl, pr, pop);
  if (a.op !== b.op) return false;
  const vars = freeVars(a.e);
  if (!sameSet(vars, freeVars(b.e))) return false;
  let ratio: Val | null = null;
  let good = 0;
  for (const env of points(vars, a.e, b.e)) {
    const va = tryEval(a.e, env, ctx);
    const vb = tryEval(b.e, env, ctx);
    if (!va || !vb) continue;
    const za = isZeroVal(va);
    const zb = isZeroVal(vb);
    if (za === null || zb === null) return false;
    if (za && zb) continue;
    if (za !== zb) return false;
    const r = divide(va, vb);
    if (!r) return false;
    if (a.op !== "=" && a.op !== "!=" && !(r.f > 0)) return false;
    if (ratio === null) ratio = r;
    else if (!valuesEqual(ratio, r, ctx)) return false;
    good++;
  }
  return (good >= MIN_POINTS || (vars.size === 0 && good >= 1)) && decided(ctx, "equation");
}

// Intervals ---------------------------------------------------------------------------------------------------

interface Interval {
  lo: Node;
  hi: Node;
  loClosed: boolean;
  hiClosed: boolean;
}

const NEG_INF: Node = { k: "neg", x: { k: "sym", name: "inf" } };
const POS_INF: Node = { k: "sym", name: "inf" };

function isIntervalish(n: Node): boolean {
  return (
    n.k === "union" || isInequality(n) || (n.k === "list" && n.xs.length > 0 && n.xs.every(isInequality))
  );
}

/** A set of reals as intervals (points as closed degenerate ones), or null when it is not one. */
/** ℝ written as a set: \mathbb{R}, "all real numbers". */
function isReals(n: Node): boolean {
  if (n.k === "sym") return n.name === "mathbb{R}";
  if (n.k === "text") return /^(all )?real( numbers|s)?$/i.test(n.s.trim());
  return false;
}

/** The intervals of every part, or null when one part is not an interval set. */
function intervalsOfAll(xs: Node[]): Interval[] | null {
  const out: Interval[] = [];
  for (const x of xs) {
    const s = intervalSet(x);
    if (!s) return null;
    out.push(...s);
  }
  return out;
}

function intervalSet(n: Node): Interval[] | null {
  if (isReals(n)) return [{ lo: NEG_INF, hi: POS_INF, loClosed: false, hiClosed: false }];
  switch (n.k) {
    case "tuple":
      return n.xs.length === 2
        ? [{ lo: n.xs[0]!, hi: n.xs[1]!, loClosed: n.open === "[", hiClosed: n.close === "]" }]
        : null;
    case "set":
      return n.xs.map((x) => ({ lo: x, hi: x, loClosed: true, hiClosed: true }));
    case "union":
      return intervalsOfAll(n.xs);
    case "list":
      // Intervals listed ("(1,2) and (3,4)") are their union; relations joined by "and" are an intersection.
      if (n.xs.every((x) => x.k === "tuple" && x.xs.length === 2)) return intervalsOfAll(n.xs);
      return n.sep === "and" || !n.xs.every(isInequality) ? null : intervalsOfAll(n.xs);
    case "rel": {
      if (n.ops.length === 1 && n.ops[0] === "in") return intervalSet(n.xs[1]!);
      if (n.ops.length === 1 && n.ops[0] === "!=" && isNameLike(n.xs[0]!) && freeVars(n.xs[1]!).size === 0) {
        // x ≠ c: the reals without c.
        const c = n.xs[1]!;
        return [
          { lo: NEG_INF, hi: c, loClosed: false, hiClosed: false },
          { lo: c, hi: POS_INF, loClosed: false, hiClosed: false },
        ];
      }
      if (!isInequality(n)) return null;
      // "a ≤ x ≤ b ∪ c < x < d" parses as one chain with a union in the middle: split it there.
      const u = n.xs.findIndex((x) => x.k === "union" && x.xs.length === 2);
      if (u > 0 && u < n.xs.length - 1) {
        const mid = n.xs[u] as Node & { k: "union" };
        const left: Node = { k: "rel", ops: n.ops.slice(0, u), xs: [...n.xs.slice(0, u), mid.xs[0]!] };
        const right: Node = { k: "rel", ops: n.ops.slice(u), xs: [mid.xs[1]!, ...n.xs.slice(u + 1)] };
        const a = intervalSet(left);
        const b = intervalSet(right);
        return a && b ? [...a, ...b] : null;
      }
      const varIdx = n.xs.findIndex((x) => isNameLike(x));
      if (varIdx === -1 || n.xs.some((x, k) => k !== varIdx && freeVars(x).size > 0)) return null;
      const v = n.xs[varIdx]!;
      const isAbs = v.k === "fn" && v.name === "abs";
      if (n.xs.length === 2) {
        const op = n.ops[0]!;
        const other = n.xs[1 - varIdx]!;
        // Normalise to "var op other".
        const flip: Record<string, RelOp> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=" };
        const o = varIdx === 0 ? op : flip[op]!;
        const below = o === "<" || o === "<=";
        const closed = o === "<=" || o === ">=";
        if (isAbs && below)
          return [{ lo: { k: "neg", x: other }, hi: other, loClosed: closed, hiClosed: closed }];
        if (isAbs) {
          return [
            { lo: NEG_INF, hi: { k: "neg", x: other }, loClosed: false, hiClosed: closed },
            { lo: other, hi: POS_INF, loClosed: closed, hiClosed: false },
          ];
        }
        if (below) return [{ lo: NEG_INF, hi: other, loClosed: false, hiClosed: closed }];
        return [{ lo: other, hi: POS_INF, loClosed: closed, hiClosed: false }];
      }
      const [o1, o2] = n.ops;
      if (
        n.xs.length === 3 &&
        varIdx === 1 &&
        isAbs &&
        (o1 === "<" || o1 === "<=") &&
        (o2 === "<" || o2 === "<=")
      ) {
        // a ≤ |z| ≤ b is [-b, -a] ∪ [a, b].
        const [a, , b] = n.xs as [Node, Node, Node];
        return [
          { lo: { k: "neg", x: b }, hi: { k: "neg", x: a }, loClosed: o2 === "<=", hiClosed: o1 === "<=" },
          { lo: a, hi: b, loClosed: o1 === "<=", hiClosed: o2 === "<=" },
        ];
      }
      if (n.xs.length === 3 && varIdx === 1 && !isAbs) {
        if ((o1 === "<" || o1 === "<=") && (o2 === "<" || o2 === "<=")) {
          return [{ lo: n.xs[0]!, hi: n.xs[2]!, loClosed: o1 === "<=", hiClosed: o2 === "<=" }];
        }
        if ((o1 === ">" || o1 === ">=") && (o2 === ">" || o2 === ">=")) {
          return [{ lo: n.xs[2]!, hi: n.xs[0]!, loClosed: o2 === ">=", hiClosed: o1 === ">=" }];
        }
      }
      return null;
    }
    default:
      return null;
  }
}

function matchIntervals(g: Node, p: Node, ctx: Ctx): boolean {
  const gi = intervalSet(g);
  const pi = intervalSet(p);
  if (!gi || !pi) return false;
  return matchIntervalSets(gi, pi, ctx);
}

function matchIntervalSets(gi: Interval[], pi: Interval[], ctx: Ctx): boolean {
  if (gi.length !== pi.length || gi.length > MAX_LIST) return false;
  const used = new Array<boolean>(pi.length).fill(false);
  for (const a of gi) {
    const k = pi.findIndex(
      (b, j) =>
        !used[j] &&
        a.loClosed === b.loClosed &&
        a.hiClosed === b.hiClosed &&
        match(a.lo, b.lo, ctx) &&
        match(a.hi, b.hi, ctx),
    );
    if (k === -1) return false;
    used[k] = true;
  }
  return decided(ctx, "interval");
}

/** a:b:c against d:e:f: proportional, term by term (a·e = b·d, …), decided like any value. */
function matchRatios(gx: Node[], px: Node[], ctx: Ctx): boolean {
  if (gx.length !== px.length) return false;
  for (let k = 1; k < gx.length; k++) {
    const left: Node = { k: "mul", xs: [gx[k]!, px[0]!] };
    const right: Node = { k: "mul", xs: [px[k]!, gx[0]!] };
    if (!matchValue(left, right, ctx)) return false;
  }
  return decided(ctx, "ratio");
}

// Percent and degrees -----------------------------------------------------------------------------------------

function scaled(x: Node, factor: Node): Node {
  // A printed decimal keeps its printed digits: 33.3% is 0.333, to three places.
  if (factor === HUNDREDTH && x.k === "num" && x.dec !== null) {
    return { k: "num", v: Q.mul(x.v, Q.rat(1n, 100n)), dec: x.dec + 2, sig: x.sig };
  }
  return { k: "mul", xs: [x, factor] };
}
const HUNDREDTH: Node = { k: "num", v: Q.rat(1n, 100n), dec: null, sig: 1 };
const DEGREE: Node = {
  k: "div",
  a: { k: "sym", name: "pi" },
  b: { k: "num", v: Q.rat(180n), dec: null, sig: 3 },
};

function matchPct(g: Node, p: Node, ctx: Ctx): boolean {
  const loose = ctx.options.percent !== "strict";
  if (g.k === "pct" && p.k === "pct") return match(g.x, p.x, ctx);
  if (g.k === "pct") return (loose && match(g.x, p, ctx)) || match(scaled(g.x, HUNDREDTH), p, ctx);
  if (p.k === "pct") return (loose && match(g, p.x, ctx)) || match(g, scaled(p.x, HUNDREDTH), ctx);
  return false;
}

function matchDeg(g: Node, p: Node, ctx: Ctx): boolean {
  const loose = ctx.options.degrees !== "strict";
  if (g.k === "deg" && p.k === "deg") return match(g.x, p.x, ctx);
  if (g.k === "deg") return (loose && match(g.x, p, ctx)) || match(scaled(g.x, DEGREE), p, ctx);
  if (p.k === "deg") return (loose && match(g, p.x, ctx)) || match(g, scaled(p.x, DEGREE), ctx);
  return false;
}

// Tuples, matrices, text, bases --------------------------------------------------------------------------------

function flatVector(n: Node): Node[] | null {
  if (n.k === "tuple") return n.xs;
  if (n.k === "matrix") {
    if (n.rows.length === 1) return n.rows[0]!;
    if (n.rows.every((r) => r.length === 1)) return n.rows.map((r) => r[0]!);
  }
  return null;
}

function matchSequences(g: Node, p: Node, ctx: Ctx): boolean {
  if (g.k === "tuple" && p.k === "tuple") {
    if (g.open !== p.open || g.close !== p.close) return false;
    return ordered(g.xs, p.xs, ctx, "tuple");
  }
  if (g.k === "matrix" && p.k === "matrix") {
    if (g.rows.length !== p.rows.length || g.rows[0]!.length !== p.rows[0]!.length) return false;
    return ordered(g.rows.flat(), p.rows.flat(), ctx, "matrix");
  }
  // A vector written as a column matrix or as a tuple.
  const gv = flatVector(g);
  const pv = flatVector(p);
  if (gv && pv && (g.k === "matrix" || p.k === "matrix")) return ordered(gv, pv, ctx, "vector");
  return false;
}

function textOf(n: Node): string | null {
  if (n.k === "text") return n.s.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (n.k === "sym") return n.name.toLowerCase();
  return null;
}

function matchText(g: Node, p: Node, ctx: Ctx): boolean {
  const a = textOf(g);
  const b = textOf(p);
  if (a === null || b === null || a === "") return false;
  if (g.k === "sym" || p.k === "sym")
    return (
      (g.k === "sym" ? g.name : (g as { s: string }).s.trim()) ===
        (p.k === "sym" ? p.name : (p as { s: string }).s.trim()) && decided(ctx, "text")
    );
  return a === b && decided(ctx, "text");
}

function matchBase(g: Node, p: Node, ctx: Ctx): boolean {
  const digits = (n: Node) =>
    n.k === "base"
      ? n.digits.replace(/^0+(?=.)/, "")
      : n.k === "num" && n.dec === null && n.v.n >= 0n
        ? n.v.n.toString()
        : null;
  const a = digits(g);
  const b = digits(p);
  if (a === null || b === null) return false;
  if (g.k === "base" && p.k === "base" && g.base !== p.base) return false;
  // Gold 204_5 accepts the digits 204 (MATH convention); gold 40 does not accept 40_9, a different number.
  if (p.k === "base" && g.k !== "base" && p.base !== "10") return false;
  return a === b && decided(ctx, "base");
}

// Values ------------------------------------------------------------------------------------------------------

function freeVars(n: Node, out = new Set<string>()): Set<string> {
  switch (n.k) {
    case "sym":
      if (!CONSTANTS.has(n.name)) out.add(n.name);
      break;
    case "add":
    case "mul":
    case "ratio":
    case "tuple":
    case "set":
    case "list":
    case "union":
    case "rel":
      for (const x of n.xs) freeVars(x, out);
      break;
    case "neg":
    case "pct":
    case "deg":
      freeVars(n.x, out);
      break;
    case "div":
    case "pow":
      freeVars(n.a, out);
      freeVars(n.b, out);
      break;
    case "fn":
      if ((n.name === "sum" || n.name === "prod") && n.args[0]?.k === "sym") {
        // The bound variable of a sum is not free.
        const [k, lo, hi, body] = n.args as [Node & { k: "sym" }, Node, Node, Node];
        freeVars(lo, out);
        freeVars(hi, out);
        const inner = freeVars(body);
        inner.delete(k.name);
        for (const v of inner) out.add(v);
      } else for (const x of n.args) freeVars(x, out);
      break;
    case "pm":
      if (n.a) freeVars(n.a, out);
      freeVars(n.b, out);
      break;
    case "matrix":
      for (const r of n.rows) for (const x of r) freeVars(x, out);
      break;
    default:
      break;
  }
  return out;
}

function hasBigOperator(n: Node): boolean {
  switch (n.k) {
    case "fn":
      // Sums, products, factorials and binomials of variables are only defined (or only simple) at integers.
      return ["sum", "prod", "fact", "binom"].includes(n.name) || n.args.some(hasBigOperator);
    case "add":
    case "mul":
    case "ratio":
    case "rel":
      return n.xs.some(hasBigOperator);
    case "neg":
    case "pct":
    case "deg":
      return hasBigOperator(n.x);
    case "div":
    case "pow":
      return hasBigOperator(n.a) || hasBigOperator(n.b);
    default:
      return false;
  }
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/**
 * Positive rational points (square roots and logs stay real), distinct per variable; small integers where a
 * variable bounds a sum or product.
 */
function points(vars: Set<string>, ...nodes: Node[]): Map<string, Rational>[] {
  if (vars.size === 0) return [new Map()];
  const integer = nodes.some(hasBigOperator);
  // Seeded, so the same pair always gets the same points.
  const rand = mulberry32(0x5eed);
  const names = [...vars].sort();
  const out: Map<string, Rational>[] = [];
  for (let k = 0; k < POINTS; k++) {
    const m = new Map<string, Rational>();
    for (const v of names) {
      const num = BigInt(3 + Math.floor(rand() * 89));
      const den = BigInt(2 + Math.floor(rand() * 11));
      m.set(v, integer ? Q.rat(BigInt(2 + Math.floor(rand() * 9))) : Q.rat(num, den));
    }
    out.push(m);
  }
  return out;
}

function tryEval(n: Node, vars: Map<string, Rational>, ctx: Ctx): Val | null {
  try {
    const v = evaluate(n, { vars });
    if (!v.ex && Number.isNaN(v.f)) {
      ctx.unknown = true;
      return null;
    }
    return v;
  } catch (e) {
    if (e instanceof ValueError) {
      if (/budget/.test(e.message)) throw e;
      ctx.unknown = true;
      return null;
    }
    throw e;
  }
}

/** Zero, not zero, or null when floating point cannot tell (the value is within its error bound of 0). */
function isZeroVal(v: Val): boolean | null {
  if (v.ex) return v.ex.length === 0;
  if (v.inf || !Number.isFinite(v.f)) return null;
  if (Math.abs(v.f) > v.err) return false;
  return v.lost ? null : true;
}

function divide(a: Val, b: Val): Val | null {
  try {
    return divideVals(a, b);
  } catch (e) {
    if (e instanceof ValueError && !/budget/.test(e.message)) return null;
    throw e;
  }
}

/**
 * Equality of two values. Exact forms compare exactly. A value with only a floating-point form (e, logs, most
 * trigonometry) differs from another when their enclosures f ± err are disjoint; when they overlap it is equal
 * only if no step lost information (evaluate.ts: `lost`); otherwise floating point cannot decide, and an
 * undecided comparison is not an equality.
 */
function valuesEqual(a: Val, b: Val, ctx: Ctx): boolean {
  if (a.inf || b.inf) return a.inf === b.inf && a.f === b.f;
  if (a.ex && b.ex) return exEqual(a.ex, b.ex);
  if (!Number.isFinite(a.f) || !Number.isFinite(b.f) || !(a.err + b.err < Number.POSITIVE_INFINITY)) {
    ctx.unknown = true;
    return false;
  }
  if (Math.abs(a.f - b.f) > a.err + b.err) return false;
  if (a.lost || b.lost) {
    ctx.undecided = true;
    return false;
  }
  return true;
}

/**
 * The configured tolerance: |a − b| ≤ max(relTol·max(|a|,|b|), absTol), with the values' error bounds counted
 * against it (a proven bound: exact differences are exact, float ones must hold for every value in the
 * enclosures).
 */
function withinTolerance(a: Val, b: Val, ctx: Ctx): boolean {
  const { relTol, absTol } = ctx.options;
  if (relTol === 0 && absTol === 0) return false;
  if (a.inf || b.inf || !Number.isFinite(a.f) || !Number.isFinite(b.f)) return false;
  const ra = asRational(a.ex);
  const rb = asRational(b.ex);
  if (ra && rb) {
    const diff = abs(Q.sub(ra, rb));
    const big = Q.cmp(abs(ra), abs(rb)) >= 0 ? abs(ra) : abs(rb);
    return Q.cmp(diff, toRational(absTol)) <= 0 || Q.cmp(diff, Q.mul(big, toRational(relTol))) <= 0;
  }
  const slack = a.err + b.err;
  const big = Math.max(Math.abs(a.f), Math.abs(b.f)) - slack;
  return Math.abs(a.f - b.f) + slack <= Math.max(relTol * Math.max(0, big), absTol);
}

/** A tolerance as the decimal it was written as (1e-4 is 1/10000, not the double nearest it). */
function toRational(x: number): Rational {
  const [mant = "0", exp = "0"] = x.toExponential().split("e");
  const e = Number(exp);
  const scale = Q.powInt(Q.rat(10n), BigInt(Math.abs(e)), 8000)!;
  const m = Q.parseDecimal(mant);
  return e >= 0 ? Q.mul(m, scale) : Q.div(m, scale);
}

interface DecimalLiteral {
  v: Rational;
  dec: number;
  sig: number;
}

/** A decimal as printed: `0.333`, `-2.5`, `6.02 \times 10^{23}`, `4.8e-7` (dec may be negative then). */
function decimalLiteral(n: Node): DecimalLiteral | null {
  if (n.k === "num" && n.dec !== null && n.dec > 0) return { v: n.v, dec: n.dec, sig: n.sig };
  if (n.k === "neg") {
    const d = decimalLiteral(n.x);
    return d ? { ...d, v: Q.neg(d.v) } : null;
  }
  if (n.k === "mul" && n.xs.length === 2) {
    const [m, p] = n.xs as [Node, Node];
    const mant = m.k === "num" ? { v: m.v, dec: m.dec ?? 0, sig: m.sig } : null;
    const e = p.k === "pow" && p.a.k === "num" && Q.eq(p.a.v, Q.rat(10n)) ? intLiteral(p.b) : null;
    if (mant && e !== null && Math.abs(e) < 400) {
      return { v: Q.mul(mant.v, Q.powInt(Q.rat(10n), BigInt(e), 4000)!), dec: mant.dec - e, sig: mant.sig };
    }
  }
  return null;
}

function intLiteral(n: Node): number | null {
  if (n.k === "num" && n.dec === null) return Number(n.v.n);
  if (n.k === "neg") {
    const v = intLiteral(n.x);
    return v === null ? null : -v;
  }
  return null;
}

/** Decimal places of a terminating rational, or null when its expansion repeats. */
function decimalPlaces(r: Rational): number | null {
  let d = r.d;
  let twos = 0;
  let fives = 0;
  while (d % 2n === 0n) {
    d /= 2n;
    twos++;
  }
  while (d % 5n === 0n) {
    d /= 5n;
    fives++;
  }
  return d === 1n ? Math.max(twos, fives) : null;
}

/**
 * A decimal matches an exact value that rounds to its printed digits (two significant digits at least). With
 * five or more significant digits the last digit may be off by one: printed approximations often are, and a
 * wrong answer that close is implausible.
 */
function roundsTo(x: Val, lit: DecimalLiteral): boolean {
  if (lit.sig < 2 || Math.abs(lit.dec) > 300) return false;
  const r = asRational(x.ex);
  const unit = Q.powInt(Q.rat(10n), BigInt(-lit.dec), 4000)!;
  const slack = lit.sig >= 5;
  if (r) {
    // An integer answer needs every digit; so does a short terminating decimal (1/4 is 0.25, not 0.3). A long
    // one (2^-2000) may be approximated like any other value, with four significant digits at least.
    if (r.d === 1n) return false;
    const places = decimalPlaces(r);
    if (places !== null && (places <= lit.dec || lit.sig < 4)) return false;
    return roundsExactly(r, lit, unit, slack);
  }
  // An irrational value: decided when its enclosure lies inside the rounding interval, else not accepted. The
  // double and its error bound settle it unless it is close to the interval's edge; then a 10^-55 enclosure does.
  const lf = Q.toNumber(lit.v);
  const halfF = (slack ? 1 : 0.5) * Q.toNumber(unit);
  const off = Math.abs(x.f - lf);
  if (Number.isFinite(off) && !x.lost && off - x.err > halfF * (1 + 1e-6)) return false;
  const iv = x.ex ? exInterval(x.ex) : null;
  if (iv) {
    const half = slack ? unit : Q.mul(unit, Q.rat(1n, 2n));
    return Q.cmp(Q.sub(lit.v, half), iv[0]) <= 0 && Q.cmp(iv[1], Q.add(lit.v, half)) <= 0;
  }
  if (!Number.isFinite(x.f) || x.lost) return false;
  return off + x.err + Math.abs(lf) * EPS <= halfF;
}

const abs = (r: Rational): Rational => (r.n < 0n ? Q.neg(r) : r);

/** r rounded to the literal's places (half away from zero) is the literal, exactly; `slack`: within one unit. */
function roundsExactly(r: Rational, lit: DecimalLiteral, unit: Rational, slack: boolean): boolean {
  if (slack) return Q.cmp(abs(Q.sub(r, lit.v)), unit) <= 0;
  const s = Q.div(r, unit);
  const twice = Q.add(Q.mul(s, Q.rat(2n)), Q.rat(s.n < 0n ? -1n : 1n));
  const rounded = twice.n / (twice.d * 2n);
  return Q.eq(Q.mul(Q.rat(rounded), unit), lit.v);
}

/** Two printed decimals: the shorter (four significant digits at least) is the longer one rounded. */
function decimalsAgree(a: DecimalLiteral, b: DecimalLiteral): boolean {
  if (a.dec === b.dec) return false;
  const [long, short] = a.dec > b.dec ? [a, b] : [b, a];
  if (short.sig < 4 || Math.abs(short.dec) > 300) return false;
  const unit = Q.powInt(Q.rat(10n), BigInt(-short.dec), 4000)!;
  return roundsExactly(long.v, short, unit, short.sig >= 5);
}

function matchValue(g: Node, p: Node, ctx: Ctx): boolean {
  const gv = freeVars(g);
  if (!sameSet(gv, freeVars(p))) return false;
  if (gv.size === 0) {
    const a = tryEval(g, new Map(), ctx);
    const b = tryEval(p, new Map(), ctx);
    if (!a || !b) return false;
    if (valuesEqual(a, b, ctx)) return decided(ctx, a.ex && b.ex ? "exact" : "numeric");
    const gl = decimalLiteral(g);
    const pl = decimalLiteral(p);
    if (pl && !gl && roundsTo(a, pl)) return decided(ctx, "decimal");
    if (gl && !pl && roundsTo(b, gl)) return decided(ctx, "decimal");
    // Two decimals: the shorter one may be the longer one rounded (0.0666668 for 0.066666793).
    if (gl && pl && decimalsAgree(gl, pl)) return decided(ctx, "decimal");
    if (withinTolerance(a, b, ctx)) return decided(ctx, "tolerance");
    return false;
  }
  let good = 0;
  for (const env of points(gv, g, p)) {
    const a = tryEval(g, env, ctx);
    const b = tryEval(p, env, ctx);
    if (!a && !b) continue;
    if (!a || !b) return false;
    if (!valuesEqual(a, b, ctx)) return false;
    good++;
  }
  return good >= MIN_POINTS && decided(ctx, "identity");
}

/** Tokenizer for answer-style LaTeX and plain text. */

export type TokType = "num" | "letter" | "word" | "cmd" | "op" | "text" | "begin" | "end" | "rowsep" | "eof";

export interface Token {
  t: TokType;
  /** num: the digits with `.` (grouping removed); cmd: the name without `\`; op: the character; text: content. */
  v: string;
  /** Whitespace (or a spacing command) came right before this token. */
  sp: boolean;
}

export class LexError extends Error {}

/** Commands that only space or size things: dropped. */
const SKIP_CMDS = new Set([
  "left",
  "right",
  "big",
  "Big",
  "bigg",
  "Bigg",
  "bigl",
  "bigr",
  "Bigl",
  "Bigr",
  "biggl",
  "biggr",
  "Biggl",
  "Biggr",
  "displaystyle",
  "textstyle",
  "limits",
  "nolimits",
  "boxed",
  "fbox",
  "$",
  "mathstrut",
  "middle",
]);
const SPACE_CMDS = new Set([
  ",",
  ";",
  ":",
  "!",
  " ",
  "quad",
  "qquad",
  "enspace",
  "thinspace",
  "medspace",
  "thickspace",
  "space",
  "hspace",
  "nobreak",
]);
const TEXT_CMDS = new Set([
  "text",
  "textbf",
  "textit",
  "textrm",
  "textnormal",
  "textsf",
  "texttt",
  "mathrm",
  "mathbf",
  "mathit",
  "mathsf",
  "mathtt",
  "mbox",
  "operatorname",
  "boldsymbol",
  "bm",
  "mathnormal",
  "hbox",
  "textup",
  "emph",
]);
/** Known command names, so `\quadx` splits into `\quad` + `x` as TeX users mean it. */
const KNOWN_PREFIXES = ["qquad", "quad", "cdot", "times", "pi", "infty", "pm", "mp", "le", "ge", "ne", "in"];

/** Plain words that are not products of single-letter variables. */
export const WORDS = new Set([
  "and",
  "or",
  "percent",
  "percentage",
  "pct",
  "degree",
  "degrees",
  "deg",
  "sin",
  "cos",
  "tan",
  "cot",
  "sec",
  "csc",
  "ln",
  "log",
  "exp",
  "sqrt",
  "pi",
  "inf",
  "infty",
  "infinity",
  "cm",
  "mm",
  "km",
  "ft",
  "kg",
  "mg",
  "ml",
  "mph",
  "kph",
  "hr",
  "hrs",
  "min",
  "mins",
  "sec",
  "secs",
  "yd",
  "lb",
  "lbs",
  "oz",
  "sq",
  "mi",
  "in",
  "units",
  "unit",
  "odd",
  "even",
  "yes",
  "no",
  "all",
  "none",
  "yuan",
  "usd",
  "cents",
  "cent",
  "am",
  "pm",
  "gcd",
  "lcm",
  "max",
  "min",
  "arcsin",
  "arccos",
  "arctan",
  "sinh",
  "cosh",
  "tanh",
  "det",
  "mod",
  "true",
  "false",
  // Short number words (longer words are words anyway).
  "one",
  "two",
  "six",
  "ten",
  // Ordinal suffixes: 21st, 2nd, 3rd, 12th.
  "st",
  "nd",
  "rd",
  "th",
]);

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
const isLetter = (c: string | undefined) =>
  c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));

const UNICODE: Record<string, string> = {
  "−": "-",
  "–": "-",
  "×": "\\times ",
  "·": "\\cdot ",
  "÷": "\\div ",
  "≤": "\\le ",
  "≥": "\\ge ",
  "≠": "\\ne ",
  "∞": "\\infty ",
  π: "\\pi ",
  "√": "\\sqrt ",
  "°": "^\\circ ",
  "∪": "\\cup ",
  "∩": "\\cap ",
  "∈": "\\in ",
  "±": "\\pm ",
  "∓": "\\mp ",
  "≈": "\\approx ",
  "，": ",",
  "：": ":",
  "；": ";",
  "（": "(",
  "）": ")",
  "⩽": "\\le ",
  "⩾": "\\ge ",
  "∅": "\\emptyset ",
  "²": "^2 ",
  "³": "^3 ",
  "½": "\\frac12 ",
  "¼": "\\frac14 ",
  "¾": "\\frac34 ",
  ℝ: "\\mathbb{R}",
  ℤ: "\\mathbb{Z}",
  ℕ: "\\mathbb{N}",
  ℚ: "\\mathbb{Q}",
  ℂ: "\\mathbb{C}",
  "\u00a0": " ",
  "\u2009": " ",
  "\u202f": " ",
};
const UNICODE_RE = new RegExp(`[${Object.keys(UNICODE).join("")}]`, "g");

/** Grouping separators between digit triples: `1,000`, `1{,}000`, `1\,000`, `1,\!000`, `1 000`. */
const GROUP_SEP = /^(?:\{,\}|,\\! ?|\\,|\\ |\\!|,| )(?=\d{3}(?!\d))/;

export function tokenize(input: string): Token[] {
  let s = input.replace(UNICODE_RE, (c) => UNICODE[c] ?? c);
  // A doubled backslash before a command name is an escaping artefact, except where `\\` separates matrix rows.
  if (!/\\begin\{|\\end\{/.test(s)) s = s.replace(/\\\\(?=[A-Za-z])/g, "\\");
  const commas = (s.match(/,/g) ?? []).length;
  const out: Token[] = [];
  let sp = false;
  let depth = 0;
  let i = 0;
  const push = (t: TokType, v: string) => {
    out.push({ t, v, sp });
    sp = false;
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "~" || c === "\f") {
      sp = true;
      i++;
      continue;
    }
    if (isDigit(c) || (c === "." && isDigit(s[i + 1]))) {
      i = lexNumber(s, i, depth, commas, push);
      continue;
    }
    if (isLetter(c)) {
      let j = i;
      while (isLetter(s[j])) j++;
      const w = s.slice(i, j);
      // "cm", "odd", "No" are words; "xy", "AB", "NO" are products of single-letter names.
      const word = w.length >= 4 || WORDS.has(w) || (WORDS.has(w.toLowerCase()) && /^[A-Z][a-z]+$/.test(w));
      if (w.length >= 2 && word) push("word", w);
      else for (const ch of w) push("letter", ch);
      i = j;
      continue;
    }
    if (c === "\\") {
      i = lexCommand(
        s,
        i,
        push,
        () => {
          sp = true;
        },
        depth === 0,
      );
      continue;
    }
    if (c === "<" || c === ">" || c === "!" || c === "=") {
      const two = s.slice(i, i + 2);
      if (two === "<=" || two === ">=" || two === "!=" || two === "=<" || two === "=>") {
        push("op", two === "=<" ? "<=" : two === "=>" ? ">=" : two);
        i += 2;
        continue;
      }
    }
    if (c === "(" || c === "[") depth++;
    if (c === ")" || c === "]") depth = Math.max(0, depth - 1);
    if ("+-*/^_()[]{}|,;:=<>!'&%".includes(c)) {
      push("op", c);
      i++;
      continue;
    }
    if (c === "$" || c === "." || c === "?" || c === '"' || c === "`") {
      // Currency, sentence ends and quotes carry no value.
      sp = true;
      i++;
      continue;
    }
    throw new LexError(`unexpected character ${JSON.stringify(c)}`);
  }
  out.push({ t: "eof", v: "", sp });
  return out;
}

function lexNumber(
  s: string,
  i: number,
  depth: number,
  commas: number,
  push: (t: TokType, v: string) => void,
): number {
  let j = i;
  let digits = "";
  while (isDigit(s[j])) digits += s[j++];
  // Thousands groups only after a leading group of 1-3 digits; inside brackets a bare comma separates items.
  if (digits.length >= 1 && digits.length <= 3) {
    for (;;) {
      const m = GROUP_SEP.exec(s.slice(j, j + 8));
      if (!m) break;
      if (m[0] === "," && depth > 0) break;
      j += m[0].length;
      digits += s.slice(j, j + 3);
      j += 3;
    }
  }
  // A decimal comma ("1000,99") only when it is the one comma, two digits follow and no other number does.
  if (
    commas === 1 &&
    depth === 0 &&
    s[j] === "," &&
    isDigit(s[j + 1]) &&
    isDigit(s[j + 2]) &&
    !/\d/.test(s.slice(j + 3))
  ) {
    if (digits.length > 0 && !/^0\d/.test(digits)) {
      push("num", `${digits}.${s.slice(j + 1, j + 3)}`);
      return j + 3;
    }
  }
  if (s[j] === "." && isDigit(s[j + 1])) {
    digits += ".";
    j++;
    while (isDigit(s[j])) digits += s[j++];
  }
  // A repeating decimal, 0.1\overline{6} = 1/6: emitted as the exact fraction in parentheses.
  const rep = /^\.?\\overline\{(\d{1,50})\}/.exec(s.slice(j, j + 70));
  if (rep && digits.length <= 60) {
    const [ip = "0", fp = ""] = digits.split(".");
    const r = rep[1]!;
    const all = BigInt(ip + fp + r);
    const head = BigInt(ip + fp);
    const den = 10n ** BigInt(fp.length) * (10n ** BigInt(r.length) - 1n);
    push("op", "(");
    push("num", (all - head).toString());
    push("op", "/");
    push("num", den.toString());
    push("op", ")");
    return j + rep[0].length;
  }
  // Scientific notation written plainly: 1.5e-3, 2E10.
  const sci = /^[eE]([+-]?\d+)(?![\d.])/.exec(s.slice(j, j + 8));
  if (sci && digits.length > 0) {
    push("num", digits);
    push("op", "*");
    push("num", "10");
    push("op", "^");
    if (sci[1]!.startsWith("-")) push("op", "-");
    push("num", sci[1]!.replace(/^[+-]/, ""));
    return j + sci[0].length;
  }
  push("num", digits || "0");
  return j;
}

function lexCommand(
  s: string,
  i: number,
  push: (t: TokType, v: string) => void,
  space: () => void,
  topLevel: boolean,
): number {
  const next = s[i + 1];
  if (next === undefined) return i + 1;
  if (!isLetter(next)) {
    if (next === "\\") {
      push("rowsep", "\\\\");
      return i + 2;
    }
    if (SPACE_CMDS.has(next)) {
      space();
      return i + 2;
    }
    if (next === "{" || next === "}" || next === "|") {
      push("cmd", next);
      return i + 2;
    }
    if (next === "%") {
      push("op", "%");
      return i + 2;
    }
    if (next === "$" || next === "#" || next === "&" || next === "_") return i + 2;
    // \( \) \[ \] are math delimiters.
    space();
    return i + 2;
  }
  let j = i + 1;
  while (isLetter(s[j])) j++;
  let name = s.slice(i + 1, j);
  if (
    !KNOWN.has(name) &&
    !SKIP_CMDS.has(name) &&
    !SPACE_CMDS.has(name) &&
    !TEXT_CMDS.has(name) &&
    name !== "begin" &&
    name !== "end"
  ) {
    const p = KNOWN_PREFIXES.find((k) => name.startsWith(k) && name.length > k.length);
    if (p) {
      j = i + 1 + p.length;
      name = p;
    }
  }
  if (SKIP_CMDS.has(name)) {
    // `\left.` / `\right.` are invisible delimiters.
    if ((name === "left" || name === "right") && s[j] === ".") return j + 1;
    return j;
  }
  if (SPACE_CMDS.has(name)) {
    if (name === "hspace" && s[j] === "{") {
      const k = s.indexOf("}", j);
      if (k !== -1) j = k + 1;
    }
    // A wide space between top-level items separates answers ("x = 2 \\quad y = 3"); it never multiplies.
    if ((name === "quad" || name === "qquad") && topLevel) push("op", ",");
    else space();
    return j;
  }
  if (TEXT_CMDS.has(name) || name === "begin" || name === "end") {
    let k = j;
    while (s[k] === " ") k++;
    if (s[k] !== "{") {
      if (name === "begin" || name === "end") throw new LexError(`\\${name} without an environment`);
      return k;
    }
    const end = closeBrace(s, k);
    const content = s.slice(k + 1, end - 1);
    if (name === "begin") push("begin", content.trim());
    else if (name === "end") push("end", content.trim());
    else if (name === "operatorname") push("cmd", content.trim());
    else push("text", content);
    return end;
  }
  push("cmd", name);
  return j;
}

function closeBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i + 1;
  }
  throw new LexError("unbalanced braces");
}

/** Command names the parser understands; unknown ones that start with one of KNOWN_PREFIXES are split. */
/** Function commands the lexer knows and the parser applies (\sin, \log, …). */
export const FUNCTION_NAMES = [
  "sin",
  "cos",
  "tan",
  "cot",
  "sec",
  "csc",
  "arcsin",
  "arccos",
  "arctan",
  "sinh",
  "cosh",
  "tanh",
  "ln",
  "log",
  "exp",
];

/** Greek letter commands: known to the lexer, read as variables by the parser. */
export const GREEK_LETTERS = [
  "alpha",
  "beta",
  "gamma",
  "delta",
  "epsilon",
  "varepsilon",
  "zeta",
  "eta",
  "theta",
  "vartheta",
  "iota",
  "kappa",
  "lambda",
  "mu",
  "nu",
  "xi",
  "rho",
  "varrho",
  "sigma",
  "tau",
  "upsilon",
  "phi",
  "varphi",
  "chi",
  "psi",
  "omega",
  "Gamma",
  "Delta",
  "Theta",
  "Lambda",
  "Xi",
  "Pi",
  "Sigma",
  "Upsilon",
  "Phi",
  "Psi",
  "Omega",
];

const KNOWN = new Set([
  "frac",
  "dfrac",
  "tfrac",
  "cfrac",
  "sqrt",
  "binom",
  "dbinom",
  "tbinom",
  "choose",
  "pi",
  "infty",
  "infin",
  "cdot",
  "times",
  "div",
  "pm",
  "mp",
  "le",
  "leq",
  "leqslant",
  "ge",
  "geq",
  "geqslant",
  "ne",
  "neq",
  "lt",
  "gt",
  "approx",
  "in",
  "cup",
  "cap",
  "setminus",
  "circ",
  "degree",
  ...FUNCTION_NAMES,
  "lfloor",
  "rfloor",
  "lceil",
  "rceil",
  "langle",
  "rangle",
  "lbrace",
  "rbrace",
  "lbrack",
  "rbrack",
  "vert",
  "lvert",
  "rvert",
  "mid",
  "emptyset",
  "varnothing",
  "dots",
  "ldots",
  "cdots",
  "overline",
  "underline",
  "vec",
  "hat",
  "bar",
  "widehat",
  "overrightarrow",
  "mathbb",
  "mathcal",
  "gcd",
  "lcm",
  "max",
  "min",
  "det",
  "equiv",
  "pmod",
  "bmod",
  "mod",
  "prime",
  "angle",
  "triangle",
  "to",
  "rightarrow",
  "Rightarrow",
  "implies",
  "iff",
  "land",
  "lor",
  "wedge",
  "vee",
  "neg",
  "lnot",
  "sim",
  "simeq",
  "cong",
  "propto",
  ...GREEK_LETTERS,
  "sum",
  "prod",
  "int",
  "lim",
  "dot",
  "ddot",
  "tilde",
  "mathring",
  "qquad",
  "quad",
  "colon",
  "ast",
  "star",
  "bullet",
  "perp",
  "parallel",
  "notin",
  "subset",
  "subseteq",
  "supset",
  "forall",
  "exists",
  "ell",
  "hbar",
  "imath",
  "jmath",
  "partial",
  "nabla",
  "varpi",
  "dag",
  "nmid",
  "leftarrow",
  "cosec",
  "arccot",
  "arcsec",
  "arccsc",
  "sgn",
  "Re",
  "Im",
  "degrees",
]);

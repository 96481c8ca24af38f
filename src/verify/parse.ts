import { type Node, type RelOp, show } from "./ast.js";
import { FUNCTION_NAMES, GREEK_LETTERS, type Token, tokenize, WORDS } from "./lexer.js";
import { parseDecimal } from "./rational.js";

/** Caps that bound parsing work whatever the input. */
export const MAX_NODES = 4000;
export const MAX_DEPTH = 120;

export class ParseError extends Error {}

const REL_CMDS: Record<string, RelOp> = {
  le: "<=",
  leq: "<=",
  leqslant: "<=",
  ge: ">=",
  geq: ">=",
  geqslant: ">=",
  ne: "!=",
  neq: "!=",
  lt: "<",
  gt: ">",
  approx: "~",
  in: "in",
  simeq: "~",
  sim: "~",
  equiv: "=",
  cong: "=",
};
const REL_OPS: Record<string, RelOp> = { "=": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "!=": "!=" };
const FUNCS = new Set([
  ...FUNCTION_NAMES,
  "gcd",
  "lcm",
  "max",
  "min",
  "det",
  "arccot",
  "arcsec",
  "arccsc",
  "cosec",
  "sgn",
]);
const INVERSE_TRIG: Record<string, string> = {
  sin: "arcsin",
  cos: "arccos",
  tan: "arctan",
  cot: "arccot",
  sec: "arcsec",
  csc: "arccsc",
};
const GREEK = new Set([...GREEK_LETTERS, "ell", "varpi"]);
/** Letters read as function names when directly followed by `(`: f(x), g(2), P(x). */
const FUNC_LETTERS = new Set(["f", "g", "h", "F", "G", "H", "P", "Q", "W", "S", "T", "N", "D"]);
const MATRIX_ENVS = new Set([
  "aligned",
  "pmatrix",
  "bmatrix",
  "Bmatrix",
  "vmatrix",
  "Vmatrix",
  "matrix",
  "smallmatrix",
  "array",
]);
const NUMBER_WORDS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
  hundred: 100,
};
const UNIT_WORDS = new Set(["percent", "percentage", "pct"]);
const ORDINALS = new Set(["st", "nd", "rd", "th"]);
/** Unit names that may follow a `/` after a unit: km/h, m/s, \text{km}/h. */
const PER_UNITS = new Set([
  "h",
  "s",
  "min",
  "hr",
  "hrs",
  "sec",
  "km",
  "m",
  "kg",
  "g",
  "L",
  "l",
  "day",
  "yr",
  "mi",
]);
const DEGREE_WORDS = new Set(["degree", "degrees", "deg"]);

/** Parses one answer string; throws ParseError (or LexError) on anything it does not understand. */
export function parseAnswer(input: string): Node {
  try {
    return new Parser(tokenize(input)).parseTop();
  } catch (e) {
    // An answer cut short of its closing braces ("\\frac{11}{2^{20}") is read as if they were there.
    const missing = (input.match(/(?<!\\)\{/g) ?? []).length - (input.match(/(?<!\\)\}/g) ?? []).length;
    if (missing <= 0 || missing > 8) throw e;
    return new Parser(tokenize(input + "}".repeat(missing))).parseTop();
  }
}

/** A text that means a list separator: "and", "or", ",". */
function separatorOf(tok: Token): "," | ";" | "or" | "and" | null {
  if (tok.t === "op" && (tok.v === "," || tok.v === ";")) return tok.v;
  const w =
    tok.t === "word" || tok.t === "text" ? tok.v.trim().toLowerCase().replace(/^,|,$/g, "").trim() : null;
  if (w === "and" || w === "or") return w;
  if (tok.t === "text" && (w === "" || w === ",") && tok.v.includes(",")) return ",";
  return null;
}

class Parser {
  private pos = 0;
  /** The modulus of the last `\pmod`, attached to the congruence around it. */
  private modulus: Node | null = null;
  private nodes = 0;
  private depth = 0;
  private absDepth = 0;

  constructor(private readonly toks: Token[]) {}

  private peek(o = 0): Token {
    return this.toks[Math.min(this.pos + o, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }
  private isOp(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.t === "op" && t.v === v;
  }
  private isCmd(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.t === "cmd" && t.v === v;
  }
  private expectOp(v: string): void {
    if (!this.isOp(v)) throw new ParseError(`expected ${v}`);
    this.next();
  }
  private node<N extends Node>(n: N): N {
    if (++this.nodes > MAX_NODES) throw new ParseError("answer too large");
    return n;
  }
  private enter(): void {
    if (++this.depth > MAX_DEPTH) throw new ParseError("answer nested too deeply");
  }

  parseTop(): Node {
    // "= 5" or "\approx 3.14": a leading relation sign is part of the sentence, not of the answer.
    if (this.isOp("=") || this.isCmd("approx")) this.next();
    const n = this.parseList(() => this.peek().t === "eof");
    if (this.peek().t !== "eof") throw new ParseError("trailing input");
    return n;
  }

  /** Items separated by `;` (outer), `,`, "and", "or", up to `stop`. One item is returned as itself. */
  private parseList(stop: () => boolean): Node {
    const groups: Node[][] = [[]];
    let inner: "," | "or" | "and" = ",";
    let sawSemicolon = false;
    for (;;) {
      while (separatorOf(this.peek()) && !stop()) {
        const s = separatorOf(this.next())!;
        if (s === ";") {
          sawSemicolon = true;
          groups.push([]);
        } else if (s !== ",") inner = s;
      }
      if (stop() || this.peek().t === "eof") break;
      const before = this.pos;
      groups[groups.length - 1]!.push(this.parseRel());
      if (this.pos === before) throw new ParseError(`unexpected ${this.peek().v}`);
      if (!stop() && !separatorOf(this.peek()))
        throw new ParseError(`unexpected ${this.peek().t} ${this.peek().v}`);
    }
    const lists = groups
      .filter((g) => g.length > 0)
      .map((g) => (g.length === 1 ? g[0]! : this.node<Node>({ k: "list", xs: g, sep: inner })));
    if (lists.length === 0) throw new ParseError("empty answer");
    if (lists.length === 1) return lists[0]!;
    return this.node({ k: "list", xs: lists, sep: sawSemicolon ? ";" : inner });
  }

  private relOp(): RelOp | null {
    const t = this.peek();
    if (t.t === "op") return REL_OPS[t.v] ?? null;
    if (t.t === "cmd") return REL_CMDS[t.v] ?? null;
    return null;
  }

  private parseRel(): Node {
    this.modulus = null;
    const first = this.parseUnion();
    const ops: RelOp[] = [];
    const xs: Node[] = [first];
    let congruence = false;
    for (let op = this.relOp(); op; op = this.relOp()) {
      congruence ||= this.isCmd("equiv");
      this.next();
      ops.push(op);
      xs.push(this.parseUnion());
    }
    if (!ops.length) return first;
    const mod = congruence ? this.modulus : null;
    return this.node(mod ? { k: "rel", ops, xs, mod } : { k: "rel", ops, xs });
  }

  /** `\\cup`, or a plain `U` between intervals ("(-∞, 1) U (2, ∞)"). */
  private isUnion(): boolean {
    if (this.isCmd("cup")) return true;
    const t = this.peek();
    return t.t === "letter" && t.v === "U" && (this.isOp("(", 1) || this.isOp("[", 1) || this.isCmd("{", 1));
  }

  private parseUnion(): Node {
    const first = this.parseRatio();
    if (!this.isUnion()) return first;
    const xs = [first];
    while (this.isUnion()) {
      this.next();
      xs.push(this.parseRatio());
    }
    return this.node({ k: "union", xs });
  }

  private parseRatio(): Node {
    const first = this.parseAdd();
    if (!this.isOp(":") && !this.isCmd("colon")) return first;
    const xs = [first];
    while (this.isOp(":") || this.isCmd("colon")) {
      this.next();
      xs.push(this.parseAdd());
    }
    return this.node({ k: "ratio", xs });
  }

  private parseAdd(): Node {
    let acc = this.parseMul();
    for (;;) {
      if (this.isOp("+")) {
        this.next();
        acc = this.add(acc, this.parseMul());
      } else if (this.isOp("-")) {
        this.next();
        acc = this.add(acc, this.node({ k: "neg", x: this.parseMul() }));
      } else if (this.isCmd("pm") || this.isCmd("mp")) {
        this.next();
        acc = this.node({ k: "pm", a: acc, b: this.parseMul() });
      } else return acc;
    }
  }

  private add(a: Node, b: Node): Node {
    return a.k === "add" ? { k: "add", xs: [...a.xs, b] } : this.node({ k: "add", xs: [a, b] });
  }

  private parseMul(): Node {
    const factors: Node[] = [this.parseUnary()];
    for (;;) {
      if (this.isOp("*") || this.isCmd("cdot") || this.isCmd("times") || this.isCmd("ast")) {
        this.next();
        factors.push(this.parseUnary());
      } else if (
        this.isCmd("bmod") ||
        this.isCmd("mod") ||
        ((this.peek().t === "word" || this.peek().t === "text") && this.peek().v.trim() === "mod")
      ) {
        // 17 \bmod 5: the remainder.
        this.next();
        const a = factors.length === 1 ? factors[0]! : this.node<Node>({ k: "mul", xs: factors.splice(0) });
        factors.length = 0;
        factors.push(this.node({ k: "fn", name: "mod", args: [a, this.parseUnary()] }));
      } else if (this.isOp("/") && isUnit(factors[factors.length - 1]!) && this.perUnitAt(1)) {
        // 50 km/h: a compound unit, not a division by h.
        this.next();
        const u = factors.pop() as Node & { k: "text" };
        factors.push(this.node({ k: "text", s: `${u.s}/${this.next().v}` }));
      } else if (this.isOp("/") || this.isCmd("div")) {
        this.next();
        const b = this.parseUnary();
        const a = factors.length === 1 ? factors[0]! : this.node<Node>({ k: "mul", xs: factors.splice(0) });
        factors.length = 0;
        factors.push(this.node({ k: "div", a, b }));
      } else if (this.peek().t === "text" && !separatorOf(this.peek())) {
        // Text after a value is a unit, even a single letter: 10^\circ \text{C}, 5 \text{ m}.
        factors.push(this.parsePostfix(this.node({ k: "text", s: this.next().v.trim() })));
      } else if (factors.length === 1 && isIntLiteral(factors[0]!) && this.spacedFractionAt()) {
        // 3128 1/2: a mixed number written with a space.
        const a = numNode(this.next().v);
        this.next();
        factors[0] = mixedNumber(factors[0]!, { k: "div", a, b: numNode(this.next().v) })!;
      } else if (this.startsImplicitFactor()) {
        const f = this.parseUnary();
        const last = factors[factors.length - 1]!;
        const mixed = factors.length === 1 ? mixedNumber(last, f) : null;
        if (mixed) factors[0] = mixed;
        else factors.push(f);
      } else break;
    }
    // Text next to a value is a unit ("15 cm", "\$5", "125 \text{ miles}"): it does not change the value.
    const values = factors.filter((f) => !isUnit(f));
    if (values.length === 0) {
      const words = factors.map((f) =>
        f.k === "text" ? f.s : f.k === "pow" && f.a.k === "text" ? f.a.s : "",
      );
      return this.node({ k: "text", s: words.join(" ").trim() });
    }
    return values.length === 1 ? values[0]! : this.node({ k: "mul", xs: values });
  }

  /** A unit name at offset o (after a `/`): a unit word or one of the single letters units use. */
  private perUnitAt(o: number): boolean {
    const t = this.peek(o);
    return (t.t === "letter" || t.t === "word" || t.t === "text") && PER_UNITS.has(t.v.trim());
  }

  /** `n/d` with a space before it, right after an integer, n < d: the fraction of a mixed number. */
  private spacedFractionAt(): boolean {
    const [a, slash, b] = [this.peek(), this.peek(1), this.peek(2)];
    if (!(a.t === "num" && a.sp && slash.t === "op" && slash.v === "/" && b.t === "num")) return false;
    if (a.v.includes(".") || b.v.includes(".")) return false;
    const last = this.peek(-1);
    if (last.t !== "num" || last.v.includes(".")) return false;
    const n = BigInt(a.v);
    return n > 0n && n < BigInt(b.v) && !(this.peek(3).t === "op" && this.peek(3).v === "^");
  }

  private startsImplicitFactor(): boolean {
    const t = this.peek();
    switch (t.t) {
      case "letter":
        return !this.isUnion();
      case "num":
      case "begin":
        return true;
      case "word":
        return !separatorOf(t);
      case "text":
        return !separatorOf(t);
      case "cmd":
        return (
          !(
            t.v in REL_CMDS ||
            [
              "cdot",
              "times",
              "div",
              "pm",
              "mp",
              "cup",
              "cap",
              "rfloor",
              "rceil",
              "rangle",
              "}",
              "rbrace",
              "colon",
              "setminus",
              "ast",
              "to",
              "rightarrow",
              "Rightarrow",
              "implies",
              "iff",
              "mid",
              "vert",
              "rvert",
              "|",
              "circ",
            ].includes(t.v)
          ) && !(t.v === "lvert" && this.absDepth > 0)
        );
      case "op":
        // "[" after a factor groups ("(2n+1)\\left[a + b\\right]"); a leading "[" would be an interval.
        return t.v === "(" || t.v === "[" || (t.v === "|" && this.absDepth === 0) || t.v === "{";
      default:
        return false;
    }
  }

  private parseUnary(): Node {
    this.enter();
    try {
      if (this.isOp("-")) {
        this.next();
        return this.node({ k: "neg", x: this.parseUnary() });
      }
      if (this.isOp("+")) {
        this.next();
        return this.parseUnary();
      }
      if (this.isCmd("pm") || this.isCmd("mp")) {
        this.next();
        return this.node({ k: "pm", a: null, b: this.parseUnary() });
      }
      return this.parsePostfix(this.parsePrimary());
    } finally {
      this.depth--;
    }
  }

  /** Tokens of an ordinal suffix at the cursor (`^{th}`, `^{\text{th}}`, `^\text{nd}`, `st`), or 0. */
  private ordinalLength(): number {
    const ord = (t: Token) => (t.t === "word" || t.t === "text") && ORDINALS.has(t.v.trim());
    if (this.peek().t === "word" && ord(this.peek()) && !this.peek().sp) return 1;
    if (!this.isOp("^")) return 0;
    if (ord(this.peek(1))) return 2;
    if (this.isOp("{", 1) && ord(this.peek(2)) && this.isOp("}", 3)) return 4;
    if (
      this.isOp("{", 1) &&
      this.peek(2).t === "letter" &&
      this.peek(3).t === "letter" &&
      this.isOp("}", 4)
    ) {
      return ORDINALS.has(this.peek(2).v + this.peek(3).v) ? 5 : 0;
    }
    return 0;
  }

  private parsePostfix(base: Node): Node {
    for (;;) {
      const ordinal = base.k === "num" && base.dec === null ? this.ordinalLength() : 0;
      if (ordinal > 0) {
        // 12^{th}: the ordinal of 12 answers "which one" with 12.
        this.pos += ordinal;
        continue;
      }
      if (this.isOp("^")) {
        this.next();
        if (this.isCmd("circ")) {
          this.next();
          base = this.node({ k: "deg", x: base });
          continue;
        }
        if (this.isOp("{") && this.peek(1).t === "cmd" && this.peek(1).v === "circ" && this.isOp("}", 2)) {
          this.pos += 3;
          base = this.node({ k: "deg", x: base });
          continue;
        }
        base = this.node({ k: "pow", a: base, b: this.parseExponent() });
      } else if (this.isOp("!")) {
        this.next();
        base = this.node({ k: "fn", name: "fact", args: [base] });
      } else if (this.isOp("%")) {
        this.next();
        base = this.node({ k: "pct", x: base });
      } else if (this.peek().t === "word" && UNIT_WORDS.has(this.peek().v.toLowerCase())) {
        this.next();
        base = this.node({ k: "pct", x: base });
      } else if (
        (this.peek().t === "word" && DEGREE_WORDS.has(this.peek().v.toLowerCase())) ||
        this.isCmd("degree") ||
        this.isCmd("circ")
      ) {
        this.next();
        base = this.node({ k: "deg", x: base });
      } else if (this.isOp("'")) {
        this.next();
        if (base.k === "sym") base = { k: "sym", name: `${base.name}'` };
      } else return base;
    }
  }

  private parseExponent(): Node {
    if (this.isOp("-")) {
      this.next();
      return this.node({ k: "neg", x: this.parseExponent() });
    }
    if (this.isOp("+")) {
      this.next();
      return this.parseExponent();
    }
    return this.parsePrimary();
  }

  /** One argument of `\frac`, `\sqrt`, `\binom`: a braced group or a single character/command (`\frac12`). */
  private parseArg(): Node {
    const t = this.peek();
    if (t.t === "op" && t.v === "{") return this.parsePrimary();
    if (t.t === "num" && t.v.length > 1) {
      const head = t.v[0]!;
      this.toks[this.pos] = { t: "num", v: t.v.slice(1), sp: false };
      return numNode(head === "." ? "0" : head);
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Node {
    this.enter();
    try {
      return this.parsePrimaryInner();
    } finally {
      this.depth--;
    }
  }

  private parsePrimaryInner(): Node {
    const t = this.next();
    switch (t.t) {
      case "num":
        return this.parseNumber(t.v);
      case "letter":
        return this.parseSymbol(t.v);
      case "word":
        return this.parseWord(t.v);
      case "text":
        return this.parseText(t.v);
      case "begin":
        return this.parseEnv(t.v);
      case "op":
        return this.parseBracket(t.v);
      case "cmd":
        return this.parseCommand(t.v);
      default:
        throw new ParseError(`unexpected ${t.t}`);
    }
  }

  private parseNumber(v: string): Node {
    const n = numNode(v);
    if (this.isOp("_") && !v.includes(".")) {
      this.next();
      const sub = this.parseSubscriptText();
      if (/^-?[0-9A-Za-z]+$/.test(sub)) return this.node({ k: "base", digits: v, base: sub });
      throw new ParseError("bad base subscript");
    }
    return this.node(n);
  }

  private parseSubscriptText(): string {
    const t = this.next();
    if (t.t === "num" || t.t === "letter" || t.t === "word") return t.v;
    if (t.t === "op" && t.v === "{") {
      let s = "";
      while (!this.isOp("}")) {
        const x = this.next();
        if (x.t === "eof") throw new ParseError("unclosed subscript");
        if (x.t === "op" && x.v === "{") throw new ParseError("nested subscript");
        if (x.t === "op" && (x.v === "(" || x.v === ")")) continue;
        s += x.t === "text" ? x.v.trim() : x.v;
      }
      this.next();
      return s;
    }
    throw new ParseError("bad subscript");
  }

  private parseSymbol(name: string): Node {
    let sym: Node = { k: "sym", name };
    if (this.isOp("_")) {
      this.next();
      const save = this.pos;
      const subText = this.isOp("{") || this.peek().t !== "cmd" ? this.tryPlainSubscript() : null;
      if (subText !== null) sym = { k: "sym", name: `${name}_${subText}` };
      else {
        this.pos = save;
        const sub = this.parseArg();
        sym = this.node({ k: "fn", name: `call:${name}_`, args: [sub] });
      }
    }
    if (sym.k === "sym" && FUNC_LETTERS.has(name) && this.isOp("(") && !this.peek().sp) {
      this.next();
      const args = this.parseList(() => this.isOp(")"));
      this.expectOp(")");
      return this.node({ k: "fn", name: `call:${sym.name}`, args: args.k === "list" ? args.xs : [args] });
    }
    return this.node(sym);
  }

  /** A subscript made only of letters and digits (`a_3`, `x_{12}`, `S_{ABC}`), or null. */
  private tryPlainSubscript(): string | null {
    const save = this.pos;
    const t = this.next();
    if (t.t === "num" || t.t === "letter") return t.t === "num" ? t.v : t.v;
    if (t.t === "op" && t.v === "{") {
      let s = "";
      while (this.peek().t === "num" || this.peek().t === "letter" || this.peek().t === "word")
        s += this.next().v;
      if (s && this.isOp("}")) {
        this.next();
        return s;
      }
    }
    this.pos = save;
    return null;
  }

  private parseWord(w: string): Node {
    const lw = w.toLowerCase();
    if (FUNCS.has(lw)) return this.parseFunction(lw);
    if (lw === "sqrt") return this.parseSqrt();
    if (lw === "pi") return this.node({ k: "sym", name: "pi" });
    if (lw === "inf" || lw === "infty" || lw === "infinity") return this.node({ k: "sym", name: "inf" });
    const n = NUMBER_WORDS[lw];
    if (n !== undefined) return numNode(String(n));
    return this.node({ k: "text", s: w });
  }

  private parseText(raw: string): Node {
    const s = raw.trim();
    if (s === "") return this.node({ k: "text", s: "" });
    const mc = /^\(?([A-Z])\)?$/.exec(s);
    if (mc) return this.node({ k: "sym", name: mc[1]! });
    if (/^[a-z]$/.test(s)) return this.node({ k: "sym", name: s });
    if (
      /^[A-Za-z]+$/.test(s) &&
      (NUMBER_WORDS[s.toLowerCase()] !== undefined || WORDS.has(s.toLowerCase()))
    ) {
      return this.parseWord(s);
    }
    if (/\d/.test(s) && s.length <= 200) {
      // "\text{5 apples}": a value with its unit inside the text.
      try {
        return parseAnswer(s);
      } catch {
        return this.node({ k: "text", s });
      }
    }
    return this.node({ k: "text", s });
  }

  private parseEnv(env: string): Node {
    const name = env.replace(/\*$/, "");
    if (!MATRIX_ENVS.has(name) && name !== "cases") throw new ParseError(`environment ${env}`);
    if (name === "array" && this.isOp("{")) {
      while (!this.isOp("}") && this.peek().t !== "eof") this.next();
      this.next();
    }
    const rows: Node[][] = [[]];
    for (;;) {
      const t = this.peek();
      if (t.t === "end") {
        this.next();
        break;
      }
      if (t.t === "eof") throw new ParseError("unclosed matrix");
      if (t.t === "rowsep") {
        this.next();
        rows.push([]);
        continue;
      }
      if (t.t === "op" && t.v === "&") {
        this.next();
        continue;
      }
      const before = this.pos;
      rows[rows.length - 1]!.push(this.parseRel());
      if (this.pos === before) throw new ParseError("bad matrix cell");
    }
    const full = rows.filter((r) => r.length > 0);
    if (full.length === 0 || full.some((r) => r.length !== full[0]!.length))
      throw new ParseError("ragged matrix");
    if (name === "vmatrix") return this.node({ k: "fn", name: "det", args: [{ k: "matrix", rows: full }] });
    // A system written as cases, one statement a row: its statements, as a list.
    if (name === "cases" && full.every((r) => r.length === 1))
      return this.node({ k: "list", xs: full.map((r) => r[0]!), sep: "," });
    return this.node({ k: "matrix", rows: full });
  }

  private parseBracket(open: string): Node {
    if (open === "{") {
      if (this.isOp("}")) {
        this.next();
        return this.node({ k: "text", s: "" });
      }
      const inner = this.parseList(() => this.isOp("}") || this.isCmd("choose"));
      if (this.isCmd("choose")) {
        this.next();
        const k = this.parseAdd();
        this.expectOp("}");
        return this.node({ k: "fn", name: "binom", args: [inner, k] });
      }
      this.expectOp("}");
      return inner;
    }
    if (open === "(" || open === "[") {
      const xs = this.parseSeq(() => this.isOp(")") || this.isOp("]"));
      const close = this.next().v as ")" | "]";
      if (xs.length === 1 && (open === "(") === (close === ")")) return xs[0]!;
      return this.node({ k: "tuple", open, close, xs });
    }
    if (open === "|") {
      this.absDepth++;
      const x = this.parseAdd();
      this.absDepth--;
      this.expectOp("|");
      return this.node({ k: "fn", name: "abs", args: [x] });
    }
    throw new ParseError(`unexpected ${open}`);
  }

  /** Comma/semicolon-separated items inside brackets. */
  private parseSeq(stop: () => boolean): Node[] {
    const xs: Node[] = [];
    const saveAbs = this.absDepth;
    this.absDepth = 0;
    for (;;) {
      if (stop()) break;
      if (this.peek().t === "eof") throw new ParseError("unclosed bracket");
      xs.push(this.parseRel());
      if (this.isOp(",") || this.isOp(";")) this.next();
      else if (!stop()) throw new ParseError(`unexpected ${this.peek().v} in brackets`);
    }
    this.absDepth = saveAbs;
    if (xs.length === 0) throw new ParseError("empty brackets");
    return xs;
  }

  private parseCommand(name: string): Node {
    switch (name) {
      case "frac":
      case "dfrac":
      case "tfrac":
      case "cfrac": {
        const a = this.parseArg();
        const b = this.parseArg();
        return this.node({ k: "div", a, b });
      }
      case "sqrt":
        return this.parseSqrt();
      case "binom":
      case "dbinom":
      case "tbinom": {
        const n = this.parseArg();
        const k = this.parseArg();
        return this.node({ k: "fn", name: "binom", args: [n, k] });
      }
      case "pi":
        return this.node({ k: "sym", name: "pi" });
      case "infty":
      case "infin":
        return this.node({ k: "sym", name: "inf" });
      case "emptyset":
      case "varnothing":
        return this.node({ k: "set", xs: [] });
      case "{":
      case "lbrace": {
        // \left\{ \begin{array} … \end{array} \right. : a system, one statement a row.
        if (this.peek().t === "begin" && /^(array|aligned|cases)$/.test(this.peek().v)) {
          const sys = this.parsePrimary();
          if (this.isCmd("}") || this.isCmd("rbrace")) this.next();
          if (sys.k === "matrix" && sys.rows.every((r) => r.length === 1))
            return this.node({ k: "list", xs: sys.rows.map((r) => r[0]!), sep: "," });
          return sys;
        }
        if (this.isCmd("}") || this.isCmd("rbrace")) {
          this.next();
          return this.node({ k: "set", xs: [] });
        }
        const builder = this.trySetBuilder();
        if (builder) return builder;
        const xs = this.parseSeq(() => this.isCmd("}") || this.isCmd("rbrace"));
        this.next();
        return this.node({ k: "set", xs });
      }
      case "langle": {
        const xs = this.parseSeq(() => this.isCmd("rangle"));
        this.next();
        return this.node({ k: "tuple", open: "(", close: ")", xs });
      }
      case "lbrack":
        return this.parseBracket("[");
      case "lfloor":
      case "lceil": {
        const x = this.parseAdd();
        const close = this.next();
        if (close.t !== "cmd" || close.v !== (name === "lfloor" ? "rfloor" : "rceil"))
          throw new ParseError("unclosed floor");
        return this.node({ k: "fn", name: name === "lfloor" ? "floor" : "ceil", args: [x] });
      }
      case "|":
      case "vert":
      case "lvert": {
        this.absDepth++;
        const x = this.parseAdd();
        this.absDepth--;
        const close = this.next();
        if (
          !(close.t === "cmd" && ["|", "vert", "rvert"].includes(close.v)) &&
          !(close.t === "op" && close.v === "|")
        ) {
          throw new ParseError("unclosed |");
        }
        return this.node({ k: "fn", name: "abs", args: [x] });
      }
      case "angle":
      case "triangle":
      case "measuredangle": {
        // ∠ABC, △ABC: the letters that follow name one thing.
        let label = name === "triangle" ? "triangle " : "angle ";
        if (this.peek().t === "letter") label += this.next().v;
        while (this.peek().t === "letter" && !this.peek().sp) label += this.next().v;
        return this.node({ k: "sym", name: label });
      }
      case "dots":
      case "ldots":
      case "cdots":
        return this.node({ k: "sym", name: "..." });
      case "overline":
      case "underline":
      case "vec":
      case "hat":
      case "bar":
      case "widehat":
      case "overrightarrow":
      case "mathbb":
      case "mathcal":
      case "dot":
      case "tilde": {
        const arg = this.parseArg();
        return this.node({ k: "sym", name: `${name}{${symText(arg)}}` });
      }
      case "exp":
        return this.parseFunction("exp");
      case "sum":
      case "prod":
        return this.parseBigOperator(name);
      case "e":
        return this.node({ k: "sym", name: "e" });
      case "circ":
        throw new ParseError("stray \\circ");
      case "pmod": {
        // "a ≡ b (mod m)": the modulus belongs to the congruence (parseRel); here it reads like a unit.
        const m = this.parseArg();
        this.modulus = m;
        return this.node({ k: "text", s: `mod ${show(m)}` });
      }
      case "lim": {
        // \lim_{x \to 0} f(x): an opaque value (a chain "\lim … = 1" states its right-hand side).
        if (this.isOp("_")) {
          this.next();
          this.skipGroup();
        }
        return this.node({ k: "fn", name: "lim", args: [this.parseMul()] });
      }
      default:
        if (FUNCS.has(name)) return this.parseFunction(name);
        if (GREEK.has(name)) return this.parseSymbol(name);
        throw new ParseError(`unsupported \\${name}`);
    }
  }

  /** Skips one braced group (or one token) unparsed: a limit's subscript. */
  private skipGroup(): void {
    if (!this.isOp("{")) {
      this.next();
      return;
    }
    let depth = 0;
    do {
      const t = this.next();
      if (t.t === "eof") throw new ParseError("unclosed group");
      if (t.t === "op" && t.v === "{") depth++;
      if (t.t === "op" && t.v === "}") depth--;
    } while (depth > 0);
  }

  /** `\sum_{k=a}^{b} body` and `\prod`: the bound variable, bounds and body. */
  private parseBigOperator(name: string): Node {
    this.expectOp("_");
    const sub = this.parseArg();
    if (sub.k !== "rel" || sub.ops.length !== 1 || sub.ops[0] !== "=" || sub.xs[0]!.k !== "sym") {
      throw new ParseError(`\\${name} needs a k=a subscript`);
    }
    this.expectOp("^");
    const hi = this.parseExponent();
    const body = this.parseMul();
    return this.node({ k: "fn", name, args: [sub.xs[0]!, sub.xs[1]!, hi, body] });
  }

  /** `\\{x \\mid x > 1\\}` (also `|` and `:`): the set is what the condition describes. */
  private trySetBuilder(): Node | null {
    const t = this.peek();
    const bar = this.peek(1);
    const isBar =
      (bar.t === "op" && (bar.v === "|" || bar.v === ":")) || (bar.t === "cmd" && bar.v === "mid");
    if (t.t !== "letter" || !isBar) return null;
    this.pos += 2;
    const cond = this.parseList(() => this.isCmd("}") || this.isCmd("rbrace"));
    if (!this.isCmd("}") && !this.isCmd("rbrace")) throw new ParseError("unclosed set");
    this.next();
    return cond;
  }

  private parseSqrt(): Node {
    if (this.isOp("[")) {
      this.next();
      const index = this.parseAdd();
      this.expectOp("]");
      return this.node({ k: "fn", name: "root", args: [this.parseArg(), index] });
    }
    if (this.isOp("(")) return this.node({ k: "fn", name: "sqrt", args: [this.parsePrimary()] });
    return this.node({ k: "fn", name: "sqrt", args: [this.parseArg()] });
  }

  /** `\sin x`, `\sin^2(x)`, `\sin^{-1} x`, `\log_2 8`, `\ln(x)`, `\gcd(a, b)`. */
  private parseFunction(name: string): Node {
    let base: Node | null = null;
    if (name === "log" && this.isOp("_")) {
      this.next();
      base = this.parseArg();
    }
    let power: Node | null = null;
    if (this.isOp("^")) {
      this.next();
      power = this.parseExponent();
      if (
        power.k === "neg" &&
        power.x.k === "num" &&
        power.x.v.n === 1n &&
        power.x.v.d === 1n &&
        INVERSE_TRIG[name]
      ) {
        name = INVERSE_TRIG[name]!;
        power = null;
      }
    }
    let args: Node[];
    if (this.isOp("(")) {
      this.next();
      const inner = this.parseSeq(() => this.isOp(")"));
      this.next();
      args = inner;
    } else {
      // Without parentheses the argument runs over juxtaposed factors: \sin 2x = sin(2x).
      const factors: Node[] = [this.parseFuncArgFactor()];
      while (
        this.peek().t === "num" ||
        this.peek().t === "letter" ||
        (this.peek().t === "cmd" && (this.isCmd("pi") || GREEK.has(this.peek().v)))
      ) {
        factors.push(this.parseFuncArgFactor());
      }
      args = [factors.length === 1 ? factors[0]! : this.node({ k: "mul", xs: factors })];
    }
    if (name === "log" && base) args = [args[0]!, base];
    if (name === "ln") name = "log";
    let f: Node = this.node({ k: "fn", name, args });
    if (power) f = this.node({ k: "pow", a: f, b: power });
    return f;
  }

  private parseFuncArgFactor(): Node {
    if (this.isOp("-")) {
      this.next();
      return this.node({ k: "neg", x: this.parseFuncArgFactor() });
    }
    return this.parsePostfix(this.parsePrimary());
  }
}

function numNode(v: string): Node & { k: "num" } {
  const dot = v.indexOf(".");
  const sig = v.replace(".", "").replace(/^0+/, "").length;
  return { k: "num", v: parseDecimal(v), dec: dot === -1 ? null : v.length - dot - 1, sig };
}

/** `2\frac{1}{2}` is a mixed number (2½), not a product. */
function mixedNumber(whole: Node, f: Node): Node | null {
  const isIntLit = (n: Node) => n.k === "num" && n.dec === null;
  const w = whole.k === "neg" ? whole.x : whole;
  if (!isIntLit(w) || f.k !== "div" || !isIntLit(f.a) || !isIntLit(f.b)) return null;
  const a = (f.a as { v: { n: bigint } }).v.n;
  const b = (f.b as { v: { n: bigint } }).v.n;
  if (a <= 0n || b <= a) return null;
  const sum: Node = { k: "add", xs: [w, f] };
  return whole.k === "neg" ? { k: "neg", x: sum } : sum;
}

function isIntLiteral(n: Node): boolean {
  return (n.k === "num" && n.dec === null) || (n.k === "neg" && n.x.k === "num" && n.x.dec === null);
}

function isUnit(n: Node): boolean {
  return n.k === "text" || (n.k === "pow" && n.a.k === "text");
}

function symText(n: Node): string {
  if (n.k === "sym") return n.name;
  if (n.k === "num") return n.v.n.toString();
  if (n.k === "mul") return n.xs.map(symText).join("");
  if (n.k === "text") return n.s;
  throw new ParseError("bad decorated symbol");
}
